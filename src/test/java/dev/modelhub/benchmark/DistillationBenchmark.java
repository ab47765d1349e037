package dev.modelhub.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.serving.internal.EngineBootstrap;
import dev.modelhub.support.Archives;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.SavedModels;
import dev.modelhub.support.ServingTest;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Teacher vs distilled student vs student + int8, for the digits MLP and CNN teachers: students
 * trained through the job API on the digits training set, then each model's artifact downloaded and
 * measured side by side in this process with ONNX Runtime on the 450-row digits test set —
 * accuracy, top-1 agreement with the teacher, and single-sample latency, the three models called in
 * turn in the same loop. Run with {@code ./mvnw -Pbenchmark verify
 * -Dit.test=DistillationBenchmark}.
 */
class DistillationBenchmark extends ServingTest {

  private static final int RUNS = 3000;

  record Case(String name, String fixture, long[] sampleShape, Map<String, Object> student) {}

  @Test
  void distillation_benchmark() throws Exception {
    List<Case> cases =
        List.of(
            new Case(
                "digits MLP",
                "digits_mlp.onnx",
                new long[] {64},
                Map.of("type", "mlp", "hidden", List.of(64))),
            new Case(
                "digits MLP",
                "digits_mlp.onnx",
                new long[] {64},
                Map.of("type", "auto", "parameterRatio", 0.05)),
            new Case(
                "digits CNN",
                "digits_cnn.onnx",
                new long[] {1, 8, 8},
                Map.of("type", "cnn", "channels", List.of(8, 16))));
    float[][] test = digitsTest();
    StringBuilder table =
        new StringBuilder(
            "\nDistillation benchmark ("
                + Runtime.getRuntime().availableProcessors()
                + " cores; accuracy and agreement on the 450-row digits test set; latency: batch 1, 1 thread,"
                + " p50 of "
                + RUNS
                + " runs, the three models called in turn)\n\n"
                + "| teacher | model | parameters | size (bytes) | latency p50 (ratio to teacher) | accuracy | agreement with teacher | training time |\n"
                + "|---|---|---|---|---|---|---|---|\n");
    for (Case c : cases) {
      String model = uniqueName("bench-distill");
      register(model, Fixtures.bytes(c.fixture()), "teacher.onnx");
      uploadCsv(model, "train", Fixtures.data("digits-train.csv"));
      uploadDigitsTestSet(model, "test");
      JsonNode distilled =
          awaitJob(
              optimize(
                  model,
                  1,
                  "distill",
                  Map.of("student", c.student(), "dataset", "train", "evaluationDataset", "test")));
      assertThat(distilled.get("status").asString())
          .as(distilled.toString())
          .isEqualTo("SUCCEEDED");
      int student = distilled.get("resultVersion").asInt();
      JsonNode quantized =
          awaitJob(optimize(model, student, "quantize-int8-dynamic", Map.of("dataset", "test")));
      assertThat(quantized.get("status").asString())
          .as(quantized.toString())
          .isEqualTo("SUCCEEDED");
      int int8 = quantized.get("resultVersion").asInt();
      List<byte[]> artifacts = new ArrayList<>();
      List<Long> parameters = new ArrayList<>();
      for (int v : List.of(1, student, int8)) {
        artifacts.add(api.get("/api/v1/models/" + model + "/versions/" + v + "/artifact").body());
        parameters.add(
            api.get("/api/v1/models/" + model + "/versions/" + v)
                .json()
                .get("parameterCount")
                .asLong());
      }
      Measured[] m = measure(artifacts, c.sampleShape(), test);
      JsonNode details = distilled.get("report").get("passDetails");
      String training =
          String.format(
              "%.1f s (%d epochs)",
              details.get("trainingSeconds").asDouble(), details.get("epochsRun").asInt());
      String spec = details.get("student").toString().replace("\"", "");
      String[] names = {"teacher", "student " + spec, "student + int8"};
      for (int i = 0; i < 3; i++) {
        table.append(
            String.format(
                "| %s | %s | %d | %d | %.4f ms (%.2f) | %.4f | %.4f | %s |%n",
                c.name(),
                names[i],
                parameters.get(i),
                artifacts.get(i).length,
                m[i].p50,
                m[i].p50 / m[0].p50,
                m[i].accuracy,
                agreement(m[i].predictions, m[0].predictions),
                i == 1 ? training : ""));
      }
    }
    table.append(
        "\nTeachers in other formats: the job's own report (450-row test set; latency as served,"
            + " teacher and student each in an engine host, called alternately)\n\n"
            + "| teacher | student | parameters teacher → student | accuracy teacher → student | agreement | latency ratio | training time |\n"
            + "|---|---|---|---|---|---|---|\n");
    byte[] onnx = Fixtures.bytes("digits_mlp.onnx");
    for (String format : List.of("SavedModel", "TorchScript")) {
      String model = uniqueName("bench-distill");
      if (format.equals("SavedModel")) {
        register(
            model,
            Archives.tarGz(
                SavedModels.entries("digits", SavedModels.fromOnnxMlp(ModelProto.parseFrom(onnx)))),
            "digits.tar.gz");
      } else {
        registerTorchScript(model, Fixtures.bytes("digits_mlp.pt"), Fixtures.DIGITS_SIGNATURE);
      }
      uploadCsv(model, "train", Fixtures.data("digits-train.csv"));
      uploadDigitsTestSet(model, "test");
      JsonNode job =
          awaitJob(
              optimize(
                  model,
                  1,
                  "distill",
                  Map.of(
                      "student",
                      Map.of("type", "mlp", "hidden", List.of(64)),
                      "dataset",
                      "train",
                      "evaluationDataset",
                      "test")));
      assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
      JsonNode r = job.get("report");
      JsonNode params = job.get("params");
      table.append(
          String.format(
              "| digits MLP as %s | mlp [64] | %d → %d | %.4f → %.4f | %.4f | %.2f | %.1f s (%d epochs) |%n",
              format,
              params.get("teacherParameters").asLong(),
              params.get("studentParameters").asLong(),
              r.get("parent").get("accuracy").asDouble(),
              r.get("variant").get("accuracy").asDouble(),
              r.get("agreement").get("top1Agreement").asDouble(),
              r.get("latencyRatio").asDouble(),
              r.get("passDetails").get("trainingSeconds").asDouble(),
              r.get("passDetails").get("epochsRun").asInt()));
    }
    System.out.println(table);
  }

  record Measured(int[] predictions, double accuracy, double p50) {}

  /** Predictions on the test set and single-sample latency, the models called in turn. */
  private static Measured[] measure(List<byte[]> models, long[] sampleShape, float[][] test)
      throws Exception {
    EngineBootstrap.prepare(Path.of("target/engines"), 1);
    Engine.getEngine("OnnxRuntime");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    float[] x = test[0];
    float[] labels = test[1];
    int n = labels.length;
    int per = x.length / n;
    List<OrtSession> sessions = new ArrayList<>();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      for (byte[] model : models) {
        sessions.add(env.createSession(model, options));
      }
      Measured[] out = new Measured[models.size()];
      double[][] ms = new double[models.size()][RUNS];
      for (int run = -200; run < RUNS; run++) {
        int sample = Math.floorMod(run, n);
        for (int k = 0; k < sessions.size(); k++) {
          int which = Math.floorMod(run + k, sessions.size());
          long started = System.nanoTime();
          run(
              env,
              sessions.get(which),
              Arrays.copyOfRange(x, sample * per, (sample + 1) * per),
              1,
              sampleShape);
          if (run >= 0) {
            ms[which][run] = (System.nanoTime() - started) / 1e6;
          }
        }
      }
      for (int k = 0; k < sessions.size(); k++) {
        float[] scores = run(env, sessions.get(k), x, n, sampleShape);
        int classes = scores.length / n;
        int[] predictions = new int[n];
        int correct = 0;
        for (int s = 0; s < n; s++) {
          int best = 0;
          for (int c = 1; c < classes; c++) {
            if (scores[s * classes + c] > scores[s * classes + best]) {
              best = c;
            }
          }
          predictions[s] = best;
          correct += best == (int) labels[s] ? 1 : 0;
        }
        double[] sorted = ms[k].clone();
        Arrays.sort(sorted);
        out[k] = new Measured(predictions, (double) correct / n, sorted[sorted.length / 2]);
      }
      return out;
    } finally {
      for (OrtSession session : sessions) {
        session.close();
      }
    }
  }

  private static float[] run(
      OrtEnvironment env, OrtSession session, float[] x, int n, long[] sampleShape)
      throws Exception {
    long[] shape = new long[sampleShape.length + 1];
    shape[0] = n;
    System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
    try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
        OrtSession.Result result =
            session.run(Map.of(session.getInputNames().iterator().next(), input))) {
      OnnxTensor out = (OnnxTensor) result.get(0);
      float[] values = new float[Math.toIntExact(out.getInfo().getNumElements())];
      out.getFloatBuffer().get(values);
      return values;
    }
  }

  private static double agreement(int[] a, int[] b) {
    int same = 0;
    for (int i = 0; i < a.length; i++) {
      same += a[i] == b[i] ? 1 : 0;
    }
    return (double) same / a.length;
  }

  /** The digits test set: pixels row by row, and the labels. */
  private static float[][] digitsTest() {
    List<String> lines =
        new String(Fixtures.data("digits-test.csv"), StandardCharsets.UTF_8)
            .lines()
            .skip(1)
            .toList();
    float[] x = new float[lines.size() * 64];
    float[] y = new float[lines.size()];
    for (int r = 0; r < lines.size(); r++) {
      String[] cells = lines.get(r).split(",");
      for (int c = 0; c < 64; c++) {
        x[r * 64 + c] = Float.parseFloat(cells[c]);
      }
      y[r] = Float.parseFloat(cells[64]);
    }
    return new float[][] {x, y};
  }
}
