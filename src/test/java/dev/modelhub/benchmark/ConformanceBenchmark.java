package dev.modelhub.benchmark;

import static org.assertj.core.api.Assumptions.assumeThat;

import dev.modelhub.support.Api;
import dev.modelhub.support.Conformance;
import dev.modelhub.support.Conformance.Result;
import dev.modelhub.support.OnnxTestCase;
import dev.modelhub.support.ServingTest;
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
 * Serving conformance over the whole of ONNX's backend test data as Debian's {@code
 * libonnx-testdata} installs it ({@code ./mvnw -Pbenchmark verify -Dit.test=ConformanceBenchmark}):
 * every case is run through ONNX Runtime's own Java API in this process, and uploaded, promoted and
 * called through {@code /v2} on a node serving the {@code conformance} alias. Prints a table per
 * corpus folder: cases, how many ONNX Runtime itself runs correctly, how many of those Modelhub
 * serves correctly, and what became of the rest (refused at upload, marked unservable with the
 * engine's message, served as ONNX Runtime answers, …). {@code -Dconformance.limit=N} takes the
 * first N cases of each folder, {@code -Dconformance.only=REGEX} the cases whose name matches.
 */
class ConformanceBenchmark extends ServingTest {

  private static final Path CORPUS = Path.of("/usr/share/libonnx-testdata/data");

  @Autowired Environment environment;

  @Test
  void the_debian_onnx_backend_corpus() {
    assumeThat(Files.isDirectory(CORPUS))
        .as("Debian's libonnx-testdata is installed (apt-get install libonnx-testdata)")
        .isTrue();
    int limit = Integer.getInteger("conformance.limit", Integer.MAX_VALUE);
    java.util.regex.Pattern only =
        java.util.regex.Pattern.compile(System.getProperty("conformance.only", ".*"));
    try (ConfigurableApplicationContext node =
        startNode(
            environment,
            Map.of(
                "modelhub.serving.aliases",
                "conformance",
                "modelhub.serving.isolation",
                "engine"))) {
      Conformance conformance =
          new Conformance(api, new Api(port(node), json), "conformance", ServingTest::uniqueName);
      List<Result> all = new ArrayList<>();
      StringBuilder tables = new StringBuilder();
      for (String folder : List.of("node", "pytorch-converted", "pytorch-operator", "simple")) {
        List<Result> results =
            OnnxTestCase.all(CORPUS.resolve(folder)).stream()
                .filter(c -> only.matcher(c.name()).matches())
                .limit(limit)
                .map(conformance::check)
                .toList();
        all.addAll(results);
        tables.append(Conformance.table("libonnx-testdata/" + folder, results));
      }
      tables.append(Conformance.table("libonnx-testdata, all folders", all));
      System.out.println(tables);
    }
  }
}
