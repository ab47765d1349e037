package dev.modelhub.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.modelhub.common.FileTrees;
import dev.modelhub.support.LargeMlp;
import dev.modelhub.support.LargeModelTest;
import dev.modelhub.support.TestInfrastructure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A model over 2 GB (beyond protobuf's single-message limit, so external data in a tar) registers,
 * serves, and goes through int8-dynamic, weight-only int8, fp16 and pruning on a node whose heap is
 * 1 GB (it is skipped in a larger JVM; each pass in a process of the default 1 GB pass heap). The
 * table gives each pass's job time, the pass's own time, peak heap and RSS (from the job's report),
 * the variant's size ratio, and its served output against the parent's exact one. Run with {@code
 * ./mvnw -Pbenchmark verify -Dit.test=LargeModelBenchmark -DargLine=-Xmx1g}.
 */
@TestPropertySource(
    properties = {
      "modelhub.upload.max-size=8GB",
      "modelhub.archive.max-unpacked-size=8GB",
      "modelhub.storage.part-size=64MB",
      "modelhub.jobs.latency-runs=20",
      "modelhub.jobs.generated-samples=32",
      "modelhub.serving.load-timeout=15m"
    })
class LargeModelBenchmark extends LargeModelTest {

  private static final int IN = 64;
  private static final int HIDDEN = 4_400_000; // two weights of 1.05 GiB each

  @Test
  void large_model_benchmark() throws Exception {
    long maxHeap = Runtime.getRuntime().maxMemory();
    assumeTrue(
        maxHeap < 1025L << 20,
        "needs a node of at most 1 GB heap: run with -Dit.test=LargeModelBenchmark -DargLine=-Xmx1g");
    LargeMlp mlp = new LargeMlp(IN, HIDDEN, 23);
    assertThat(mlp.weightBytes()).isGreaterThan(Integer.MAX_VALUE);
    String model = uniqueName("large-bench");
    Path scratch = TestInfrastructure.newScratchDir("large-bench");
    int parent;
    long started = System.nanoTime();
    double uploadSeconds;
    long archiveBytes;
    try {
      mlp.write(scratch.resolve("model"));
      Path tar = LargeMlp.tar(scratch.resolve("model"), scratch.resolve("large.tar"));
      FileTrees.deleteQuietly(scratch.resolve("model"));
      archiveBytes = Files.size(tar);
      started = System.nanoTime();
      parent = uploadFile(model, tar, 2L * IN * HIDDEN + IN);
      uploadSeconds = (System.nanoTime() - started) / 1e9;
    } finally {
      FileTrees.deleteQuietly(scratch);
    }
    float[] x = sample(IN);
    double[] expected = mlp.forward(x);
    List<String> rows = new ArrayList<>();
    try {
      started = System.nanoTime();
      promote(model, "production", parent);
      awaitServing(api, model, "production", parent, Duration.ofMinutes(15));
      double serveSeconds = (System.nanoTime() - started) / 1e9;
      double parentError = relativeError(infer(model, parent, x), expected);
      System.out.printf(
          "LargeModelBenchmark: %.2f GB registered in %.0f s (%.0f MB/s), served %.0f s after"
              + " promotion, error %.1e, engine host resident %d MB, node heap %d MB%n",
          archiveBytes / 1e9,
          uploadSeconds,
          archiveBytes / 1e6 / uploadSeconds,
          serveSeconds,
          parentError,
          (long) metric("modelhub_model_resident_bytes", "model=\"" + model + "\"") >> 20,
          maxHeap >> 20);

      Map<String, Map<String, Object>> passes = new LinkedHashMap<>();
      passes.put("quantize-int8-dynamic", Map.of());
      passes.put("quantize-int8-weights", Map.of());
      passes.put("convert-fp16", Map.of());
      passes.put("prune-magnitude", Map.of("sparsity", 0.5, "scope", "layer"));
      for (var pass : passes.entrySet()) {
        JsonNode job =
            awaitJob(
                optimize(model, parent, pass.getKey(), pass.getValue()), Duration.ofMinutes(60));
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        int variant = job.get("resultVersion").asInt();
        promote(model, "staging", variant);
        awaitServing(api, model, "staging", variant, Duration.ofMinutes(15));
        double served = relativeError(infer(model, variant, x), expected);
        api.delete("/api/v1/models/" + model + "/aliases/staging");
        JsonNode report = job.get("report");
        JsonNode resources = report.get("resources");
        JsonNode agreement = report.get("agreement");
        rows.add(
            String.format(
                "| %s | %.0f | %.1f | %d | %d | %.3f | %.1e | %.1e | %s |",
                pass.getKey(),
                Duration.between(
                            Instant.parse(job.get("startedAt").asString()),
                            Instant.parse(job.get("finishedAt").asString()))
                        .toMillis()
                    / 1000.0,
                resources.get("passSeconds").asDouble(),
                resources.get("peakHeapBytes").asLong() >> 20,
                resources.get("peakRssBytes").asLong() >> 20,
                report.get("sizeRatio").asDouble(),
                agreement.get("meanAbsDiff").asDouble(),
                served,
                report.get("evaluation").get("models").asString()));
      }
    } finally {
      api.delete("/api/v1/models/" + model + "/aliases/production");
      api.delete("/api/v1/models/" + model + "/aliases/staging");
    }
    System.out.println();
    System.out.println(
        "| pass | job s | pass s | pass peak heap MB | pass peak RSS MB | size ratio"
            + " | mean abs diff (report) | served error vs exact | evaluation sessions |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }
}
