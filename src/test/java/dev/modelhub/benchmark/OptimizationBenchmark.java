package dev.modelhub.benchmark;

import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Every pass on the digits MLP and CNN (evaluated on the digits test set), a wide MatMul-heavy MLP
 * and MobileNetV2 (evaluated on generated inputs), through the job API: the table is what the
 * variants' reports say. Run with {@code ./mvnw -Pbenchmark verify} after {@code
 * src/test/fixtures/make_digits_models.py --benchmark} has written
 * target/benchmark/mobilenet_v2.onnx.
 */
@TestPropertySource(
    properties = {"modelhub.jobs.latency-runs=300", "modelhub.upload.max-size=64MB"})
class OptimizationBenchmark extends ServingTest {

  private static final List<String> PASSES =
      List.of(
          "quantize-int8-dynamic",
          "quantize-int8-weights",
          "convert-fp16",
          "prune-magnitude",
          "low-rank");

  @Test
  void optimization_benchmark() throws Exception {
    Map<String, byte[]> models = new LinkedHashMap<>();
    models.put("digits MLP (50k params)", Fixtures.bytes("digits_mlp.onnx"));
    models.put("digits CNN (38k params)", Fixtures.bytes("digits_cnn.onnx"));
    models.put(
        "wide MLP 512-2048-2048-10 (5.2M params)",
        OnnxModels.mlp(3, 512, 2048, 2048, 10).toByteArray());
    Path mobilenet = Path.of("target/benchmark/mobilenet_v2.onnx");
    if (Files.exists(mobilenet)) {
      models.put("MobileNetV2 (3.5M params)", Files.readAllBytes(mobilenet));
    }
    List<String> rows = new ArrayList<>();
    for (Map.Entry<String, byte[]> entry : models.entrySet()) {
      String model = uniqueName("bench");
      register(model, entry.getValue(), "model.onnx");
      boolean digits = entry.getKey().startsWith("digits");
      if (digits) {
        uploadDigitsTestSet(model, "test");
      }
      for (String pass : PASSES) {
        Map<String, Object> params = digits ? Map.of("dataset", "test") : Map.of();
        JsonNode job = awaitJob(optimize(model, 1, pass, params));
        rows.add(row(entry.getKey(), pass, job));
      }
    }
    StringBuilder out =
        new StringBuilder("\nOptimization benchmark (")
            .append(Runtime.getRuntime().availableProcessors())
            .append(
                " cores; latency: batch 1, 1 thread, p50 of 300 runs per model, parent and variant alternating)\n\n");
    out.append(
        "| model | pass | size ratio | latency ratio (p50) | accuracy parent → variant | top-1 agreement | max abs diff |\n");
    out.append("|---|---|---|---|---|---|---|\n");
    rows.forEach(out::append);
    System.out.println(out);
  }

  private static String row(String model, String pass, JsonNode job) {
    if (!job.get("status").asString().equals("SUCCEEDED")) {
      return String.format(
          "| %s | %s | %s: %s | | | | |%n",
          model, pass, job.get("status").asString(), job.get("error").asString());
    }
    JsonNode r = job.get("report");
    String accuracy =
        r.get("parent").get("accuracy").isNull()
            ? "(no labels)"
            : String.format(
                "%.4f → %.4f",
                r.get("parent").get("accuracy").asDouble(),
                r.get("variant").get("accuracy").asDouble());
    JsonNode agreement = r.get("agreement");
    return String.format(
        "| %s | %s | %.3f | %.2f | %s | %s | %.4g |%n",
        model,
        pass,
        r.get("sizeRatio").asDouble(),
        r.get("latencyRatio").asDouble(),
        accuracy,
        agreement.get("top1Agreement").isNull()
            ? "n/a"
            : String.format("%.4f", agreement.get("top1Agreement").asDouble()),
        agreement.get("maxAbsDiff").asDouble());
  }
}
