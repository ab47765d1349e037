package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.CodedOutputStream;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Archives;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.SavedModels;
import dev.modelhub.support.ServingTest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Warm-up samples uploaded with a version are what a node runs before the version takes traffic: an
 * integer division, whose generated zeros the engine refuses as divisors, warms up with its
 * samples; samples that do not fit the signature are refused at upload.
 */
class WarmupSamplesIT extends ServingTest {

  private static final String SAMPLES =
      "{\"warmup\":{\"inputs\":["
          + "{\"name\":\"numerator\",\"datatype\":\"INT32\",\"shape\":[1,2],\"data\":[6,7]},"
          + "{\"name\":\"divisor\",\"datatype\":\"INT32\",\"shape\":[1,2],\"data\":[2,2]}]}}";

  @Test
  void a_version_warms_up_with_its_own_samples() {
    String model = uniqueName("warmup");
    Response created =
        api.uploadMultipart(model, OnnxModels.integerDivide().toByteArray(), "d.onnx", SAMPLES);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("warmupSamples").asBoolean()).isTrue();
    promote(model, "production", 1);
    awaitServing(model, "production", 1);

    String labels = "model=\"" + model + "\"";
    assertThat(metric("modelhub_model_warmups_total", labels, "outcome=\"samples\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(metric("modelhub_model_warmups_total", labels, "outcome=\"refused\"")).isZero();
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  /**
   * Warm-up never fails a valid model: samples that crash its engine host (INT32_MIN / −1 raises
   * SIGFPE in ONNX Runtime) are counted as a crashed warm-up, the host restarts with the model, and
   * the version serves ordinary requests.
   */
  @Test
  void a_warm_up_that_crashes_the_engine_does_not_fail_the_load() {
    String model = uniqueName("warmup-crash");
    String crashing =
        SAMPLES.replace("[6,7]", "[-2147483648,7]").replace("\"data\":[2,2]", "\"data\":[-1,2]");
    Response created =
        api.uploadMultipart(model, OnnxModels.integerDivide().toByteArray(), "d.onnx", crashing);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("servable").asBoolean()).isTrue();
    promote(model, "production", 1);
    try {
      awaitServing(model, "production", 1);
      String labels = "model=\"" + model + "\"";
      assertThat(metric("modelhub_model_warmups_total", labels, "outcome=\"crashed\""))
          .isGreaterThanOrEqualTo(1);
      // While the host restarts, calls answer 503 with Retry-After; then the model answers.
      await().atMost(Duration.ofSeconds(30)).until(() -> divide(model).status() == 200);
      assertThat(divide(model).json().get("outputs").get(0).get("data").toString())
          .isEqualTo("[3,1]");
    } finally {
      // other serving nodes of the test run must not load a model that crashes its warm-up
      api.delete("/api/v1/models/" + model + "/aliases/production");
    }
  }

  private Response divide(String model) {
    return api.postJson(
        "/v2/models/" + model + "/infer",
        Map.of(
            "inputs",
            java.util.List.of(
                Map.of(
                    "name",
                    "numerator",
                    "datatype",
                    "INT32",
                    "shape",
                    java.util.List.of(1, 2),
                    "data",
                    java.util.List.of(6, 7)),
                Map.of(
                    "name",
                    "divisor",
                    "datatype",
                    "INT32",
                    "shape",
                    java.util.List.of(1, 2),
                    "data",
                    java.util.List.of(2, 7)))));
  }

  /**
   * A SavedModel exported with TF Serving's warm-up file ({@code
   * assets.extra/tf_serving_warmup_requests}, a TFRecord of PredictionLogs) warms up with the
   * request in it, with no metadata given.
   */
  @Test
  void a_saved_model_warms_up_with_tf_servings_own_warmup_file() throws Exception {
    var savedModel =
        SavedModels.fromOnnxMlp(ModelProto.parseFrom(Fixtures.bytes("digits_mlp.onnx")));
    Map<String, byte[]> entries = new LinkedHashMap<>(SavedModels.entries("digits", savedModel));
    entries.put("digits/assets.extra/", new byte[0]);
    entries.put(
        "digits/assets.extra/tf_serving_warmup_requests",
        tfRecord(predictionLog("serving_default", "input", DigitsReference.inputs()[0])));
    String model = uniqueName("tf-warmup");
    Response created = api.upload(model, Archives.tarGz(entries), "filename=digits.tar.gz");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("warmupSamples").asBoolean()).isTrue();
    promote(model, "production", 1);
    awaitServing(model, "production", 1);
    assertThat(
            metric(
                "modelhub_model_warmups_total", "model=\"" + model + "\"", "outcome=\"samples\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(inferDigit(api, model).status()).isEqualTo(200);
    api.delete("/api/v1/models/" + model + "/aliases/production");

    // A warm-up file for another signature, or a corrupt one, is not used: generated inputs are.
    entries.put(
        "digits/assets.extra/tf_serving_warmup_requests",
        tfRecord(predictionLog("other", "input", DigitsReference.inputs()[0])));
    Response other =
        api.upload(uniqueName("tf-warmup"), Archives.tarGz(entries), "filename=digits.tar.gz");
    assertThat(other.json().get("warmupSamples").asBoolean()).isFalse();
    byte[] corrupt = tfRecord(predictionLog("serving_default", "input", new float[64]));
    corrupt[corrupt.length - 1] ^= 1;
    entries.put("digits/assets.extra/tf_serving_warmup_requests", corrupt);
    Response broken =
        api.upload(uniqueName("tf-warmup"), Archives.tarGz(entries), "filename=digits.tar.gz");
    assertThat(broken.status()).as(broken.toString()).isEqualTo(201);
    assertThat(broken.json().get("warmupSamples").asBoolean()).isFalse();
  }

  /**
   * A PredictionLog (predict_log → request) for one FP32 input of shape [1, n], as TF writes it.
   */
  private static byte[] predictionLog(String signature, String input, float[] values)
      throws Exception {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(
                TensorShapeProto.newBuilder()
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(values.length)));
    for (float v : values) {
      tensor.addFloatVal(v);
    }
    byte[] modelSpec =
        message(
            out -> {
              out.writeString(1, "digits");
              out.writeString(3, signature);
            });
    byte[] entry =
        message(
            out -> {
              out.writeString(1, input);
              out.writeByteArray(2, tensor.build().toByteArray());
            });
    byte[] request =
        message(
            out -> {
              out.writeByteArray(1, modelSpec);
              out.writeByteArray(2, entry);
            });
    byte[] predictLog = message(out -> out.writeByteArray(1, request));
    return message(out -> out.writeByteArray(6, predictLog));
  }

  private interface Fields {
    void write(CodedOutputStream out) throws Exception;
  }

  private static byte[] message(Fields fields) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    fields.write(out);
    out.flush();
    return bytes.toByteArray();
  }

  /** One TFRecord: length, its masked CRC-32C, the data, its masked CRC-32C. */
  private static byte[] tfRecord(byte[] data) {
    ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length);
    ByteBuffer record = ByteBuffer.allocate(16 + data.length).order(ByteOrder.LITTLE_ENDIAN);
    record.put(length.array()).putInt(masked(length.array())).put(data).putInt(masked(data));
    return record.array();
  }

  private static int masked(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    int value = (int) crc.getValue();
    return ((value >>> 15) | (value << 17)) + 0xa282ead8;
  }

  @Test
  void samples_that_do_not_fit_the_signature_are_refused_at_upload() {
    String model = uniqueName("warmup-bad");
    byte[] onnx = OnnxModels.integerDivide().toByteArray();
    Response unknown =
        api.uploadMultipart(model, onnx, "d.onnx", SAMPLES.replace("\"numerator\"", "\"x\""));
    assertThat(unknown.status()).as(unknown.toString()).isEqualTo(400);
    assertThat(unknown.json().get("detail").asString()).contains("no input 'x'");
    Response missing =
        api.uploadMultipart(
            model,
            onnx,
            "d.onnx",
            "{\"warmup\":{\"inputs\":[{\"name\":\"numerator\",\"datatype\":\"INT32\","
                + "\"shape\":[1,2],\"data\":[6,7]}]}}");
    assertThat(missing.status()).as(missing.toString()).isEqualTo(400);
    assertThat(missing.json().get("detail").asString()).contains("[divisor] are missing");
    Response notARequest = api.uploadMultipart(model, onnx, "d.onnx", "{\"warmup\":[1,2]}");
    assertThat(notARequest.status()).isEqualTo(400);
    Response versions = api.get("/api/v1/models/" + model + "/versions");
    if (versions.status() == 200) {
      assertThat(versions.json().get("items")).as("no version registered").isEmpty();
    } else {
      assertThat(versions.status()).isEqualTo(404);
    }
  }
}
