package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every bad inference request answers its status with a message naming what to fix. */
class BadInferenceRequestIT extends ServingTest {

  private static String model;

  @BeforeEach
  void serveDigits() {
    if (model == null) {
      model = uniqueName("strict");
      promote(model, "production", register(model, Fixtures.bytes("digits_mlp.onnx"), "m.onnx"));
      awaitServing(model, "production", 1);
    }
  }

  @Test
  void unknown_input_name_is_400_naming_the_expected_inputs() {
    assertProblem(
        infer(input("pixels", "FP32", List.of(1, 64), zeros(64))), 400, "'pixels'", "[input]");
  }

  @Test
  void missing_input_is_400() {
    assertProblem(
        api.postJson(v2(), Map.of("inputs", List.of())), 400, "Missing input 'input'", "FP32");
  }

  @Test
  void wrong_datatype_is_400_naming_the_expected_one() {
    assertProblem(
        infer(input("input", "FP64", List.of(1, 64), zeros(64))),
        400,
        "datatype FP64",
        "expects FP32");
    assertProblem(
        infer(input("input", "INT16", List.of(1, 64), zeros(64))),
        400,
        "datatype INT16",
        "expects FP32");
  }

  @Test
  void element_count_that_does_not_match_the_shape_is_400() {
    assertProblem(
        infer(input("input", "FP32", List.of(1, 64), zeros(60))), 400, "60 elements", "needs 64");
  }

  @Test
  void shape_incompatible_with_the_signature_is_400() {
    assertProblem(
        infer(input("input", "FP32", List.of(1, 63), zeros(63))), 400, "shape [1, 63]", "[-1, 64]");
    assertProblem(
        infer(input("input", "FP32", List.of(64), zeros(64))), 400, "shape [64]", "[-1, 64]");
  }

  @Test
  void malformed_json_and_bad_fields_are_400() {
    Response broken =
        api.sendRaw(
            "POST", v2(), "application/json", "{\"inputs\": [".getBytes(StandardCharsets.UTF_8));
    assertProblem(broken, 400, "malformed", "not valid JSON");
    assertProblem(api.postJson(v2(), Map.of("id", "x")), 400, "malformed", "no \"inputs\"");
    assertProblem(
        infer(input("input", "FP32", List.of(1, 2), List.of("a", "b"))), 400, "'input'", "strings");
    assertProblem(
        infer(input("input", "FLOAT", List.of(1, 64), zeros(64))),
        400,
        "unknown datatype",
        "FLOAT");
  }

  @Test
  void unknown_output_is_400() {
    Response response =
        api.postJson(
            v2(),
            Map.of(
                "inputs", List.of(input("input", "FP32", List.of(1, 64), zeros(64))),
                "outputs", List.of(Map.of("name", "probabilities"))));
    assertProblem(response, 400, "Unknown output 'probabilities'", "[logits]");
  }

  @Test
  void model_or_version_not_served_is_404_naming_the_served_versions() {
    Response unknown =
        api.postJson("/v2/models/" + model + "-nope/infer", Map.of("inputs", List.of()));
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().get("type").asString()).endsWith("/model-not-served");
    Response version =
        api.postJson(
            "/v2/models/" + model + "/versions/7/infer",
            Map.of("inputs", List.of(input("input", "FP32", List.of(1, 64), zeros(64)))));
    assertProblem(version, 404, "version 7 is not served", "[1]");
    assertThat(version.json().get("servedVersions").toString()).isEqualTo("[1]");
    assertThat(api.get("/v2/models/" + model + "/versions/7").status()).isEqualTo(404);
    assertThat(api.get("/v1/models/" + model + "-nope").status()).isEqualTo(404);
    assertProblem(api.get("/v2/models/" + model + "/versions/staging"), 404, "'staging'", "served");
    assertProblem(api.get("/v1/models/" + model + "-nope"), 404, model + "-nope");
  }

  @Test
  void every_inference_error_carries_the_protocols_error_member_and_only_there() {
    Response anonymous = api.anonymous().postJson(v2(), Map.of("inputs", List.of()));
    assertProblem(anonymous, 401);
    Response wrongMethod = api.sendRaw("PUT", v2(), "application/json", new byte[0]);
    assertThat(wrongMethod.status()).isEqualTo(405);
    assertThat(wrongMethod.json().get("error").asString()).isNotBlank();
    Response registry = api.get("/api/v1/models/" + model + "-nope");
    assertThat(registry.status()).isEqualTo(404);
    assertThat(registry.json().has("error")).isFalse();
  }

  @Test
  void tf_serving_format_mistakes_are_400() {
    String predict = "/v1/models/" + model + ":predict";
    assertProblem(
        api.postJson(predict, Map.of("instances", List.of(zeros(64)), "inputs", zeros(64))),
        400,
        "exactly one of",
        "instances");
    assertProblem(
        api.postJson(predict, Map.of("instances", List.of(zeros(64), zeros(63)))),
        400,
        "'input'",
        "shape");
    assertProblem(
        api.postJson(predict, Map.of("inputs", List.of(List.of(1, 2), List.of(3)))),
        400,
        "'input'",
        "rectangular");
    assertProblem(
        api.postJson(predict, Map.of("signature_name", "train", "instances", List.of(zeros(64)))),
        400,
        "'train'",
        "serving_default");
    assertProblem(
        api.sendRaw("POST", predict, "application/json", "[1,".getBytes()),
        400,
        "malformed",
        "JSON");
    assertThat(
            api.postJson(
                    "/v1/models/" + model + "/labels/canary:predict",
                    Map.of("instances", List.of(zeros(64))))
                .status())
        .isEqualTo(404);
  }

  @Test
  void model_metadata_and_readiness_are_served() {
    var metadata = api.get("/v2/models/" + model).json();
    assertThat(metadata.get("platform").asString()).isEqualTo("onnxruntime_onnx");
    assertThat(metadata.get("versions").toString()).isEqualTo("[\"1\"]");
    assertThat(metadata.get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,64]");
    assertThat(api.get("/v2/models/" + model + "/ready").json().get("ready").asBoolean()).isTrue();
    assertThat(api.get("/v2/models/" + model + "/versions/1/ready").status()).isEqualTo(200);
    // OIP versions are strings: an alias names the version it points at.
    var byAlias = api.get("/v2/models/" + model + "/versions/production/ready");
    assertThat(byAlias.status()).isEqualTo(200);
    assertThat(byAlias.json().get("version").asString()).isEqualTo("production");
    assertThat(api.get("/v2/models/" + model + "/versions/production").json().get("platform"))
        .isEqualTo(metadata.get("platform"));
    Response aliased =
        api.postJson(
            "/v2/models/" + model + "/versions/production/infer",
            Map.of("inputs", List.of(input("input", "FP32", List.of(1, 64), zeros(64)))));
    assertThat(aliased.status()).as(aliased.toString()).isEqualTo(200);
    assertThat(aliased.json().get("model_version").asString()).isEqualTo("1");
    assertThat(api.get("/v2/health/live").json().get("live").asBoolean()).isTrue();
    assertThat(api.get("/v2").json().get("name").asString()).isEqualTo("modelhub");
    var status = api.get("/v1/models/" + model).json().get("model_version_status").get(0);
    assertThat(status.get("state").asString()).isEqualTo("AVAILABLE");
    assertThat(status.get("status").get("error_code").asString()).isEqualTo("OK");
    var tfMetadata = api.get("/v1/models/" + model + "/versions/1/metadata").json();
    assertThat(tfMetadata.get("model_spec").get("version").asString()).isEqualTo("1");
    assertThat(tfMetadata.toString()).contains("\"dtype\":\"DT_FLOAT\"");
  }

  private Response infer(Map<String, Object> input) {
    return api.postJson(v2(), Map.of("inputs", List.of(input)));
  }

  private String v2() {
    return "/v2/models/" + model + "/infer";
  }

  private static Map<String, Object> input(
      String name, String datatype, List<Integer> shape, Object data) {
    return Map.of("name", name, "datatype", datatype, "shape", shape, "data", data);
  }

  private static List<Double> zeros(int n) {
    return Collections.nCopies(n, 0.0);
  }

  private static void assertProblem(Response response, int status, String... detailParts) {
    assertThat(response.status()).as(response.toString()).isEqualTo(status);
    assertThat(response.header("Content-Type")).startsWith("application/problem+json");
    String detail = response.json().get("detail").asString();
    // Stock inference clients (tritonclient, TF Serving's) read the protocol's "error" member.
    assertThat(response.json().get("error").asString()).isEqualTo(detail);
    for (String part : detailParts) {
      assertThat(detail).contains(part);
    }
  }
}
