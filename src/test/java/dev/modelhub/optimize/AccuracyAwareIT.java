package dev.modelhub.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Accuracy-aware mode on a network built so that int8 hurts: the digits MLP with hidden unit k of
 * layer 2 scaled down 1000× and column k of layer 3 scaled up 1000× — the same function, but every
 * row of layer 3 now holds one weight 1000× its others, which int8 rounds the others to zero
 * against, per tensor and per channel alike.
 */
class AccuracyAwareIT extends ServingTest {

  private static final String LAST = "/net/net.4/Gemm";

  private String model;

  @BeforeEach
  void outlierModel() throws Exception {
    model = uniqueName("aware");
    register(model, outlierMlp(), "outlier.onnx");
    uploadDigitsTestSet(model, "test");
  }

  @Test
  void search_keeps_the_sensitive_layer_in_float_when_per_channel_is_not_enough() {
    long id =
        optimize(
            model, 1, "quantize-int8-dynamic", Map.of("dataset", "test", "maxAccuracyDrop", 0.01));
    JsonNode job = awaitJob(id);

    assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
    JsonNode report =
        api.get(
                "/api/v1/models/"
                    + model
                    + "/versions/"
                    + job.get("resultVersion").asInt()
                    + "/report")
            .json();
    JsonNode attempts = report.get("attempts");
    assertThat(attempts).hasSize(3);
    assertThat(attempts.get(0).get("setting").asString()).isEqualTo("requested setting");
    assertThat(attempts.get(0).get("withinTolerance").asBoolean()).isFalse();
    assertThat(attempts.get(1).get("setting").asString()).isEqualTo("per-channel scales");
    assertThat(attempts.get(1).get("withinTolerance").asBoolean()).isFalse();
    assertThat(attempts.get(2).get("keptInFloat").toString()).isEqualTo("[\"" + LAST + "\"]");
    assertThat(attempts.get(2).get("withinTolerance").asBoolean()).isTrue();
    assertThat(report.get("keptInFloat").toString()).contains(LAST);
    assertThat(report.get("agreement").get("accuracyDrop").asDouble()).isLessThanOrEqualTo(0.01);
    assertThat(report.get("params").get("perChannel").asBoolean()).isTrue();
    // Two of three layers quantized: a little larger than all three (0.269), far below the parent.
    assertThat(report.get("sizeRatio").asDouble()).isBetween(0.27, 0.5);
  }

  @Test
  void search_fails_cleanly_with_every_attempt_reported_when_no_setting_is_within_tolerance() {
    // Only the outlier layer may be quantized, and it cannot be without losing accuracy.
    long id =
        optimize(
            model,
            1,
            "quantize-int8-dynamic",
            Map.of(
                "dataset",
                "test",
                "maxAccuracyDrop",
                0.01,
                "exclude",
                List.of("/net/net.0/Gemm", "/net/net.2/Gemm")));
    JsonNode job = awaitJob(id);

    assertThat(job.get("status").asString()).isEqualTo("FAILED");
    assertThat(job.get("attempts").asInt()).as("a final failure is not retried").isEqualTo(1);
    assertThat(job.get("error").asString()).contains("maxAccuracyDrop");
    JsonNode attempts = job.get("report").get("attempts");
    assertThat(attempts).hasSize(2);
    for (JsonNode attempt : attempts) {
      assertThat(attempt.get("withinTolerance").asBoolean()).isFalse();
      assertThat(attempt.get("accuracyDrop").asDouble()).isGreaterThan(0.01);
    }
    assertThat(job.get("resultVersion").isNull()).isTrue();
    assertThat(versionRows(model)).isEqualTo(1);
  }

  /** The digits MLP with the outlier reparametrization described above (k = 0). */
  static byte[] outlierMlp() throws Exception {
    ModelProto mlp = ModelProto.parseFrom(Fixtures.bytes("digits_mlp.onnx"));
    ModelProto.Builder builder = mlp.toBuilder();
    var graph = builder.getGraphBuilder();
    for (int i = 0; i < graph.getInitializerCount(); i++) {
      TensorProto t = graph.getInitializer(i);
      float[] v = floats(t);
      switch (t.getName()) {
        case "net.2.weight" -> { // [128, 256]: row 0 produces hidden unit 0 of layer 2
          for (int c = 0; c < 256; c++) {
            v[c] /= 1000f;
          }
        }
        case "net.2.bias" -> v[0] /= 1000f;
        case "net.4.weight" -> { // [10, 128]: column 0 reads hidden unit 0
          for (int r = 0; r < 10; r++) {
            v[r * 128] *= 1000f;
          }
        }
        default -> {
          continue;
        }
      }
      graph.setInitializer(i, t.toBuilder().setRawData(bytes(v)));
    }
    return builder.build().toByteArray();
  }

  private static float[] floats(TensorProto t) {
    var buffer =
        t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] v = new float[buffer.remaining()];
    buffer.get(v);
    return v;
  }

  private static ByteString bytes(float[] v) {
    ByteBuffer buffer = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(v);
    return ByteString.copyFrom(buffer.array());
  }
}
