package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.onnxruntime.OrtEnvironment;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.serving.internal.EngineBootstrap;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Archives;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.SavedModels;
import dev.modelhub.support.ServingTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * The digits MLP as ONNX, TorchScript and SavedModel: both inference APIs return the numbers a
 * direct engine call returns on the same input (tolerance 1e-5), and PyTorch's own to 1e-4.
 */
class EngineParityIT extends ServingTest {

  private static final double TOLERANCE = 1e-5;

  @TempDir Path temp;

  @Test
  void info_names_the_onnx_runtime_that_is_loaded() {
    JsonNode engines = api.get("/actuator/info").json().get("engines");

    // The library loaded, not the one DJL was built against (DJL 0.36 says 1.21.1).
    assertThat(engines.get("onnxruntime").asString())
        .isEqualTo(OrtEnvironment.getEnvironment().getVersion())
        .isNotEqualTo(Engine.getEngine("OnnxRuntime").getVersion());
    assertThat(engines.get("djl").asString()).isEqualTo(Engine.getDjlVersion());
  }

  @Autowired ServingProperties servingProperties;

  @BeforeEach
  void prepareEngines() {
    // The direct calls below need the same offline natives recipe the application uses.
    EngineBootstrap.prepare(servingProperties);
  }

  @Test
  void onnx_model_answers_like_onnx_runtime() throws Exception {
    byte[] onnx = Fixtures.bytes("digits_mlp.onnx");
    Path file = Files.write(temp.resolve("model.onnx"), onnx);
    assertParity(
        uniqueName("parity-onnx"),
        register(uniqueName("x"), onnx, "m.onnx"),
        onnx,
        "m.onnx",
        direct("OnnxRuntime", file, null));
  }

  @Test
  void torchscript_model_answers_like_pytorch() throws Exception {
    byte[] pt = Fixtures.bytes("digits_mlp.pt");
    Files.write(temp.resolve("model.pt"), pt);
    String model = uniqueName("parity-torch");
    int version = registerTorchScript(model, pt, Fixtures.DIGITS_SIGNATURE);
    assertParity(model, version, null, null, direct("PyTorch", temp, "model.pt"));
  }

  @Test
  void saved_model_answers_like_tensorflow() throws Exception {
    var savedModel =
        SavedModels.fromOnnxMlp(ModelProto.parseFrom(Fixtures.bytes("digits_mlp.onnx")));
    Path dir = Files.createDirectories(temp.resolve("digits"));
    Files.write(dir.resolve("saved_model.pb"), savedModel.toByteArray());
    byte[] archive = Archives.tarGz(SavedModels.entries("digits", savedModel));
    String model = uniqueName("parity-tf");
    int version = register(model, archive, "digits.tar.gz");
    assertParity(model, version, null, null, direct("TensorFlow", dir, null));
  }

  /** Promotes, then compares v2 (nested and flat, versioned and not) and TF Serving answers. */
  private void assertParity(
      String model, int version, byte[] artifact, String filename, float[][] expected)
      throws Exception {
    if (artifact != null) {
      version = register(model, artifact, filename);
    }
    promote(model, "production", version);
    awaitServing(model, "production", version);
    float[][] inputs = DigitsReference.inputs();

    Response nested =
        api.postJson(
            "/v2/models/" + model + "/infer",
            Map.of(
                "id",
                "req-7",
                "inputs",
                List.of(
                    Map.of(
                        "name",
                        "input",
                        "shape",
                        List.of(4, 64),
                        "datatype",
                        "FP32",
                        "data",
                        inputs))));
    assertThat(nested.status()).as(nested.toString()).isEqualTo(200);
    JsonNode body = nested.json();
    assertThat(body.get("id").asString()).isEqualTo("req-7");
    assertThat(body.get("model_name").asString()).isEqualTo(model);
    assertThat(body.get("model_version").asString()).isEqualTo(Integer.toString(version));
    JsonNode output = body.get("outputs").get(0);
    assertThat(output.get("name").asString()).isEqualTo("logits");
    assertThat(output.get("datatype").asString()).isEqualTo("FP32");
    assertThat(output.get("shape").toString()).isEqualTo("[4,10]");
    assertClose(rows(output.get("data"), 10), expected);

    Response flat =
        api.postJson(
            "/v2/models/" + model + "/versions/" + version + "/infer",
            v2Body("input", "FP32", List.of(4, 64), flatten(inputs)));
    assertClose(rows(flat.json().get("outputs").get(0).get("data"), 10), expected);

    Response rowFormat =
        api.postJson("/v1/models/" + model + ":predict", Map.of("instances", inputs));
    assertThat(rowFormat.status()).as(rowFormat.toString()).isEqualTo(200);
    assertClose(matrix(rowFormat.json().get("predictions")), expected);

    Response columnar =
        api.postJson(
            "/v1/models/" + model + "/versions/" + version + ":predict",
            Map.of("signature_name", "serving_default", "inputs", Map.of("input", inputs)));
    assertThat(columnar.status()).as(columnar.toString()).isEqualTo(200);
    assertClose(matrix(columnar.json().get("outputs")), expected);

    Response label =
        api.postJson(
            "/v1/models/" + model + "/labels/production:predict", Map.of("inputs", inputs));
    assertClose(matrix(label.json().get("outputs")), expected);

    // And the engine agrees with PyTorch, which trained the network.
    float[][] pytorch = DigitsReference.logits();
    for (int i = 0; i < pytorch.length; i++) {
      for (int j = 0; j < pytorch[i].length; j++) {
        assertThat((double) expected[i][j]).isCloseTo(pytorch[i][j], within(1e-4));
      }
    }
  }

  /** Runs the reference inputs through the engine directly, without Modelhub. */
  private static float[][] direct(String engine, Path path, String name) throws Exception {
    try (Model model = Model.newInstance("direct", engine)) {
      if (name == null) {
        model.load(path);
      } else {
        model.load(path, name);
      }
      try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
          NDManager manager = model.getNDManager().newSubManager()) {
        NDArray x = manager.create(flatten(DigitsReference.inputs()), new Shape(4, 64));
        x.setName("input");
        float[] out = predictor.predict(new NDList(x)).get(0).toFloatArray();
        float[][] rows = new float[4][10];
        for (int i = 0; i < 4; i++) {
          System.arraycopy(out, i * 10, rows[i], 0, 10);
        }
        return rows;
      }
    }
  }

  private static void assertClose(float[][] actual, float[][] expected) {
    assertThat(actual.length).isEqualTo(expected.length);
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[i].length; j++) {
        assertThat((double) actual[i][j])
            .as("[%d][%d]", i, j)
            .isCloseTo(expected[i][j], within(TOLERANCE));
      }
    }
  }

  private static float[] flatten(float[][] rows) {
    float[] flat = new float[rows.length * rows[0].length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
    }
    return flat;
  }

  private static float[][] rows(JsonNode flat, int width) {
    float[][] rows = new float[flat.size() / width][width];
    for (int i = 0; i < flat.size(); i++) {
      rows[i / width][i % width] = (float) flat.get(i).asDouble();
    }
    return rows;
  }

  private static float[][] matrix(JsonNode nested) {
    List<float[]> rows = new ArrayList<>();
    for (JsonNode row : nested) {
      float[] values = new float[row.size()];
      for (int j = 0; j < row.size(); j++) {
        values[j] = (float) row.get(j).asDouble();
      }
      rows.add(values);
    }
    return rows.toArray(new float[0][]);
  }
}
