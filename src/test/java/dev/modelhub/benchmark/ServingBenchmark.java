package dev.modelhub.benchmark;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.internal.EngineBootstrap;
import dev.modelhub.support.Archives;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.SavedModels;
import dev.modelhub.support.ServingTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Serving performance, measured side by side in one run (run with {@code ./mvnw -Pbenchmark
 * verify}; not part of the default build). For the digits MLP as ONNX, TorchScript and SavedModel:
 * in-process DJL predict throughput, v2 HTTP throughput and latency at concurrency 1 and 8, their
 * ratio, and p99 latency while production swaps back and forth versus steady state.
 */
class ServingBenchmark extends ServingTest {

  private static final double SECONDS =
      Double.parseDouble(System.getProperty("benchmark.seconds", "6"));

  @TempDir Path temp;
  @Autowired ServingProperties servingProperties;

  record Row(
      String format,
      LoadGenerator.Result inProcess1,
      LoadGenerator.Result inProcess8,
      LoadGenerator.Result http1,
      LoadGenerator.Result http8,
      LoadGenerator.Result steady,
      LoadGenerator.Result swapping,
      int swaps,
      LoadGenerator.Result floor) {}

  @Test
  void serving_benchmark() throws Exception {
    EngineBootstrap.prepare(servingProperties);
    byte[] onnx = Fixtures.bytes("digits_mlp.onnx");
    var savedModel = SavedModels.fromOnnxMlp(ModelProto.parseFrom(onnx));
    Path onnxFile = Files.write(temp.resolve("model.onnx"), onnx);
    Path ptDir = Files.createDirectories(temp.resolve("pt"));
    Files.write(ptDir.resolve("model.pt"), Fixtures.bytes("digits_mlp.pt"));
    Path tfDir = Files.createDirectories(temp.resolve("tf"));
    Files.write(tfDir.resolve("saved_model.pb"), savedModel.toByteArray());

    List<Row> rows = new ArrayList<>();
    String m1 = uniqueName("bench-onnx");
    int o1 = register(m1, onnx, "a.onnx");
    int o2 = register(m1, OnnxModels.mlp(5, 64, 256, 128, 10).toByteArray(), "b.onnx");
    rows.add(measure("ONNX", "OnnxRuntime", onnxFile, null, m1, o1, o2));

    String m2 = uniqueName("bench-torch");
    int t1 = registerTorchScript(m2, Fixtures.bytes("digits_mlp.pt"), Fixtures.DIGITS_SIGNATURE);
    int t2 = registerTorchScript(m2, Fixtures.bytes("digits_mlp.pt"), Fixtures.DIGITS_SIGNATURE);
    rows.add(measure("TorchScript", "PyTorch", ptDir, "model.pt", m2, t1, t2));

    String m3 = uniqueName("bench-tf");
    int s1 = register(m3, Archives.tarGz(SavedModels.entries("digits", savedModel)), "a.tar.gz");
    var other = SavedModels.fromOnnxMlp(OnnxModels.mlp(5, 64, 256, 128, 10));
    int s2 = register(m3, Archives.tarGz(SavedModels.entries("digits", other)), "b.tar.gz");
    rows.add(measure("SavedModel", "TensorFlow", tfDir, null, m3, s1, s2));

    print(rows);
  }

  private Row measure(
      String format, String engine, Path path, String name, String model, int v1, int v2)
      throws Exception {
    promote(model, "production", v1);
    awaitServing(model, "production", v1);
    float[] pixels = DigitsReference.inputs()[0];

    LoadGenerator.Result in1;
    LoadGenerator.Result in8;
    try (Model direct = Model.newInstance("bench", engine)) {
      if (name == null) {
        direct.load(path, null, Map.of("interOpNumThreads", "1", "intraOpNumThreads", "1"));
      } else {
        direct.load(path, name);
      }
      BlockingQueue<Predictor<NDList, NDList>> predictors =
          new ArrayBlockingQueue<>(servingProperties.predictors());
      for (int i = 0; i < servingProperties.predictors(); i++) {
        predictors.add(direct.newPredictor(new NoopTranslator()));
      }
      LoadGenerator.Call call =
          () -> {
            Predictor<NDList, NDList> predictor = predictors.take();
            try (NDManager manager = direct.getNDManager().newSubManager()) {
              NDArray x = manager.create(pixels, new Shape(1, 64));
              x.setName("input");
              return predictor.predict(new NDList(x)).get(0).toFloatArray().length == 10;
            } finally {
              predictors.put(predictor);
            }
          };
      LoadGenerator.run(2, 1, () -> call);
      in1 = LoadGenerator.run(1, SECONDS, () -> call);
      in8 = LoadGenerator.run(8, SECONDS, () -> call);
      predictors.forEach(Predictor::close);
    }

    String body = DigitsReference.v2Body(pixels);
    LoadGenerator.run(8, 3, () -> LoadGenerator.v2(port, model, body));
    LoadGenerator.Result http1 =
        LoadGenerator.run(1, SECONDS, () -> LoadGenerator.v2(port, model, body));
    LoadGenerator.Result http8 =
        LoadGenerator.run(8, SECONDS, () -> LoadGenerator.v2(port, model, body));

    // p99 with and without swaps, same load, measured back to back.
    LoadGenerator.Result steady =
        LoadGenerator.run(8, SECONDS, () -> LoadGenerator.v2(port, model, body));
    AtomicBoolean swapping = new AtomicBoolean(true);
    int[] swaps = {0};
    Thread swapper =
        new Thread(
            () -> {
              int current = v1;
              while (swapping.get()) {
                int next = current == v1 ? v2 : v1;
                promote(model, "production", next);
                awaitServing(model, "production", next);
                current = next;
                swaps[0]++;
              }
            });
    swapper.start();
    LoadGenerator.Result during =
        LoadGenerator.run(8, SECONDS, () -> LoadGenerator.v2(port, model, body));
    swapping.set(false);
    swapper.join();
    // What the HTTP stack alone can do here: an endpoint that does no work, same client.
    LoadGenerator.Result floor = LoadGenerator.run(8, SECONDS, this::live);
    return new Row(format, in1, in8, http1, http8, steady, during, swaps[0], floor);
  }

  private LoadGenerator.Call live() {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/health/live")).build();
    return () -> client.send(request, HttpResponse.BodyHandlers.ofByteArray()).statusCode() == 200;
  }

  private static void print(List<Row> rows) {
    StringBuilder out =
        new StringBuilder("\nServing benchmark (digits MLP, batch 1, ")
            .append(SECONDS)
            .append(" s per cell, ")
            .append(Runtime.getRuntime().availableProcessors())
            .append(" cores)\n\n");
    out.append(
        "| format | in-process req/s c1 / c8 | in-process p50 ms | v2 HTTP req/s c1 / c8"
            + " | HTTP c8 / best in-process | empty endpoint req/s c8 (HTTP ceiling)"
            + " | HTTP p50 / p99 ms c1 | HTTP p50 / p99 ms c8 | p99 ms steady / during swaps"
            + " (swaps) | swap p99 / steady p99 | failed |\n");
    out.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      double best = Math.max(r.inProcess1().throughput(), r.inProcess8().throughput());
      long failed =
          r.http1().failures()
              + r.http8().failures()
              + r.steady().failures()
              + r.swapping().failures();
      out.append(
          String.format(
              "| %s | %.0f / %.0f | %.3f | %.0f / %.0f | %.2f | %.0f | %.2f / %.2f | %.2f / %.2f"
                  + " | %.2f / %.2f (%d) | %.2f | %d |%n",
              r.format(),
              r.inProcess1().throughput(),
              r.inProcess8().throughput(),
              r.inProcess1().percentileMillis(50),
              r.http1().throughput(),
              r.http8().throughput(),
              r.http8().throughput() / best,
              r.floor().throughput(),
              r.http1().percentileMillis(50),
              r.http1().percentileMillis(99),
              r.http8().percentileMillis(50),
              r.http8().percentileMillis(99),
              r.steady().percentileMillis(99),
              r.swapping().percentileMillis(99),
              r.swaps(),
              r.swapping().percentileMillis(99) / r.steady().percentileMillis(99),
              failed));
    }
    System.out.println(out);
  }
}
