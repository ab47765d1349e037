package dev.modelhub.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What is knowable when a job is submitted is refused then, with a problem saying what to fix. */
class OptimizationRequestsIT extends ServingTest {

  private String model;

  @BeforeEach
  void digits() {
    model = uniqueName("req");
    register(model, Fixtures.bytes("digits_mlp.onnx"), "mlp.onnx");
  }

  @Test
  void unknown_pass_and_bad_parameters_are_400() {
    assertProblem(
        submit(1, "quantize-int4", Map.of()), 400, "unknown-pass", "quantize-int8-dynamic");
    assertProblem(
        submit(1, "prune-magnitude", Map.of("sparsity", 1.5)),
        400,
        "invalid-pass-params",
        "'sparsity'");
    assertProblem(
        submit(1, "low-rank", Map.of("rank", 4)),
        400,
        "invalid-pass-params",
        "unknown parameter 'rank'");
    assertProblem(
        submit(1, "convert-fp16", Map.of("maxAccuracyDrop", -0.1)),
        400,
        "invalid-pass-params",
        "maxAccuracyDrop");
    assertProblem(
        api.sendRaw(
            "POST",
            "/api/v1/models/" + model + "/versions/1/optimizations",
            "application/json",
            "{\"pass\":".getBytes()),
        400,
        "malformed-body",
        "not valid JSON");
  }

  @Test
  void a_pass_on_a_format_it_does_not_apply_to_is_422() {
    int torch =
        registerTorchScript(model, Fixtures.bytes("digits_mlp.pt"), Fixtures.DIGITS_SIGNATURE);
    assertProblem(
        submit(torch, "quantize-int8-dynamic", Map.of()),
        422,
        "pass-not-applicable",
        "torchscript");
  }

  @Test
  void unknown_version_is_404_and_unknown_or_unsuitable_dataset_is_422() {
    assertProblem(submit(9, "convert-fp16", Map.of()), 404, "version-not-found", "no version 9");
    assertProblem(
        submit(1, "convert-fp16", Map.of("dataset", "nope")), 422, "dataset-not-found", "'nope'");
    assertProblem(
        submit(1, "quantize-int8-dynamic", Map.of("maxAccuracyDrop", 0.01)),
        422,
        "dataset-required",
        "labelled dataset");
    upload("unlabelled", csv(64, false));
    assertProblem(
        submit(
            1, "quantize-int8-dynamic", Map.of("dataset", "unlabelled", "maxAccuracyDrop", 0.01)),
        422,
        "dataset-unlabelled",
        "'label'");
  }

  @Test
  void datasets_that_do_not_fit_the_model_are_refused_at_upload() {
    assertProblem(upload("narrow", csv(10, true)), 422, "invalid-dataset", "10 input columns");
    assertProblem(
        upload("broken", "p0,p1,label\n1,2\n".getBytes(StandardCharsets.UTF_8)),
        422,
        "invalid-dataset",
        "Line 2");
    assertProblem(
        upload("words", "p0,label\nabc,1\n".getBytes(StandardCharsets.UTF_8)),
        422,
        "invalid-dataset",
        "'abc'");
    assertThat(upload("ok", csv(64, true)).status()).isEqualTo(201);
    assertProblem(upload("ok", csv(64, true)), 409, "dataset-exists", "'ok'");
    assertThat(
            api.sendRaw(
                    "POST",
                    "/api/v1/models/nobody-" + model + "/datasets?name=x",
                    "text/csv",
                    csv(64, true))
                .status())
        .isEqualTo(404);
    var listed = api.get("/api/v1/models/" + model + "/datasets").json();
    assertThat(listed.size()).isEqualTo(1);
    assertThat(listed.get(0).get("name").asString()).isEqualTo("ok");
    assertThat(listed.get(0).get("format").asString()).isEqualTo("csv");
    assertThat(listed.get(0).get("rows").asInt()).isEqualTo(2);
    assertThat(listed.get(0).get("hasLabels").asBoolean()).isTrue();
  }

  @Test
  void a_deleted_models_datasets_go_with_it() {
    String doomed = uniqueName("doomed");
    assertThat(
            api.uploadMultipart(doomed, Fixtures.bytes("digits_mlp.onnx"), "m.onnx", "{}").status())
        .isEqualTo(201);
    assertThat(
            api.sendRaw(
                    "POST",
                    "/api/v1/models/" + doomed + "/datasets?name=d",
                    "text/csv",
                    csv(64, true))
                .status())
        .isEqualTo(201);
    assertThat(api.delete("/api/v1/models/" + doomed).status()).isEqualTo(204);
    assertThat(
            api.uploadMultipart(doomed, Fixtures.bytes("digits_mlp.onnx"), "m.onnx", "{}").status())
        .isEqualTo(201);
    assertThat(api.get("/api/v1/models/" + doomed + "/datasets").json().size()).isZero();
  }

  @Test
  void unknown_job_is_404() {
    assertProblem(api.get("/api/v1/jobs/987654321"), 404, "job-not-found", "987654321");
    assertProblem(
        api.postJson("/api/v1/jobs/987654321/cancel", Map.of()), 404, "job-not-found", "987654321");
    assertThat(api.get("/api/v1/jobs?status=DONE").status()).isEqualTo(400);
  }

  private Response submit(int version, String pass, Map<String, Object> params) {
    return api.postJson(
        "/api/v1/models/" + model + "/versions/" + version + "/optimizations",
        Map.of("pass", pass, "params", params));
  }

  private Response upload(String name, byte[] csv) {
    return api.sendRaw(
        "POST", "/api/v1/models/" + model + "/datasets?name=" + name, "text/csv", csv);
  }

  private static byte[] csv(int columns, boolean labels) {
    StringBuilder out = new StringBuilder();
    for (int c = 0; c < columns; c++) {
      out.append(c == 0 ? "" : ",").append("p").append(c);
    }
    out.append(labels ? ",label\n" : "\n");
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < columns; c++) {
        out.append(c == 0 ? "" : ",").append("0.5");
      }
      out.append(labels ? "," + r + "\n" : "\n");
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void assertProblem(Response response, int status, String type, String detail) {
    assertThat(response.status()).as(response.toString()).isEqualTo(status);
    assertThat(response.json().get("type").asString())
        .isEqualTo("https://modelhub.dev/problems/" + type);
    assertThat(response.json().get("detail").asString()).contains(detail);
  }
}
