package dev.modelhub.benchmark;

import dev.modelhub.support.Api;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.EngineHosts;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * Isolated against in-process serving, side by side in one run ({@code ./mvnw -Pbenchmark verify}):
 * this node runs engines in hosts ({@code isolation: model}), a second node on the same database
 * runs them in its own process ({@code none}); both answer the same digits MLP over v2 HTTP. Then
 * the memory of 20 small models' hosts.
 */
class IsolationBenchmark extends ServingTest {

  private static final double SECONDS =
      Double.parseDouble(System.getProperty("benchmark.seconds", "6"));

  @Autowired Environment environment;

  @Test
  void isolation_benchmark() throws Exception {
    String model = uniqueName("bench-isolation");
    promote(model, "production", register(model, Fixtures.bytes("digits_mlp.onnx"), "m.onnx"));
    awaitServing(model, "production", 1);
    try (ConfigurableApplicationContext inProcess =
            startNode(environment, Map.of("modelhub.serving.isolation", "none"));
        ConfigurableApplicationContext perEngine =
            startNode(environment, Map.of("modelhub.serving.isolation", "engine"))) {
      int inProcessPort = port(inProcess);
      awaitServing(new Api(inProcessPort, json), model, "production", 1, LOAD_TIMEOUT);
      Api engineNode = new Api(port(perEngine), json);
      awaitServing(engineNode, model, "production", 1, LOAD_TIMEOUT);
      String body = DigitsReference.v2Body(DigitsReference.inputs()[0]);

      List<String> rows = new ArrayList<>();
      LoadGenerator.Result[] none = measure(inProcessPort, model, body);
      LoadGenerator.Result[] isolated = measure(port, model, body);
      long hostRss = rssKb(EngineHosts.of(model, 1).pid());
      rows.add(row("in-process (`none`)", none, "—"));
      rows.add(row("engine host (`model`)", isolated, hostRss / 1024 + " MB"));
      LoadGenerator.Result[] shared = measure(port(perEngine), model, body);
      double p50Delta = (isolated[0].percentileMillis(50) - none[0].percentileMillis(50)) * 1000;
      double ratio = isolated[1].throughput() / none[1].throughput();

      // Twenty more small models, each in its own host.
      List<String> models = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String small = uniqueName("bench-small");
        promote(small, "production", register(small, Fixtures.bytes("digits_mlp.onnx"), "s.onnx"));
        models.add(small);
      }
      long total = 0;
      for (String small : models) {
        awaitServing(small, "production", 1);
        awaitServing(engineNode, small, "production", 1, LOAD_TIMEOUT);
        total += rssKb(EngineHosts.of(small, 1).pid());
      }
      long sharedRss = rssKb(EngineHosts.named("OnnxRuntime engine").get(0).pid());
      rows.add(row("shared host (`engine`)", shared, sharedRss / 1024 + " MB for all 21"));
      StringBuilder out =
          new StringBuilder("\nIsolation benchmark (digits MLP, batch 1, v2 HTTP, ")
              .append(SECONDS)
              .append(" s per cell, ")
              .append(Runtime.getRuntime().availableProcessors())
              .append(" cores)\n\n")
              .append(
                  "| engines | p50 ms c1 | p99 ms c1 | req/s c1 | req/s c8 | p99 ms c8 | failed"
                      + " | RSS per host |\n|---|---|---|---|---|---|---|---|\n");
      rows.forEach(r -> out.append(r).append('\n'));
      out.append(
          String.format(
              "%nisolated p50 − in-process p50 at c1: %+.0f µs; isolated / in-process req/s at c8:"
                  + " %.2f; 20 hosts of the digits MLP: %d MB RSS in all (%d MB each); the same"
                  + " 20 and the first in one shared host: %d MB%n",
              p50Delta, ratio, total / 1024, total / 1024 / 20, sharedRss / 1024));
      System.out.println(out);
      models.forEach(m -> api.delete("/api/v1/models/" + m + "/aliases/production"));
    }
  }

  private static LoadGenerator.Result[] measure(int port, String model, String body)
      throws Exception {
    LoadGenerator.run(8, 3, () -> LoadGenerator.v2(port, model, body));
    return new LoadGenerator.Result[] {
      LoadGenerator.run(1, SECONDS, () -> LoadGenerator.v2(port, model, body)),
      LoadGenerator.run(8, SECONDS, () -> LoadGenerator.v2(port, model, body))
    };
  }

  private static String row(String name, LoadGenerator.Result[] r, String rss) {
    return String.format(
        "| %s | %.3f | %.3f | %.0f | %.0f | %.3f | %d | %s |",
        name,
        r[0].percentileMillis(50),
        r[0].percentileMillis(99),
        r[0].throughput(),
        r[1].throughput(),
        r[1].percentileMillis(99),
        r[0].failures() + r[1].failures(),
        rss);
  }

  private static long rssKb(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
        .filter(l -> l.startsWith("VmRSS:"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
        .findFirst()
        .orElse(0);
  }
}
