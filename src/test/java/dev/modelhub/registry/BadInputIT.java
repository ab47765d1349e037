package dev.modelhub.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Archives;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.TestSecrets;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every error a client can cause answers a 4xx problem+json that says what to fix, and leaves no
 * version row and no object behind.
 */
class BadInputIT extends IntegrationTest {

  private String model;
  private List<String> objectsBefore;

  @BeforeEach
  void setUp() throws Exception {
    model = uniqueName("bad");
    objectsBefore = objectKeys("");
  }

  /**
   * PostgreSQL cannot store a NUL character: wherever text reaches it, that is the client's 400.
   */
  @Test
  void a_nul_character_in_text_is_400_and_changes_nothing() {
    api.upload(model, Fixtures.bytes("digits_mlp.onnx"), null);
    for (Response response :
        List.of(
            api.patchJson(
                "/api/v1/models/" + model + "/versions/1", Map.of("description", "a\u0000b")),
            api.patchJson("/api/v1/models/" + model, Map.of("tags", Map.of("team", "x\u0000"))),
            api.get("/api/v1/models?query=a%00b"),
            api.get("/api/v1/audit?actor=a%00b"),
            api.get("/api/v1/models?page=999999999"))) {
      assertThat(response.status()).as(response.toString()).isEqualTo(400);
      assertThat(response.text()).doesNotContain("Internal error");
    }
    assertThat(
            api.get("/api/v1/models/" + model + "/versions/1").json().get("description").isNull())
        .isTrue();
  }

  @Test
  void malformed_json_is_400() {
    Response response =
        api.sendRaw("POST", "/api/v1/models", "application/json", "{\"name\": ".getBytes());
    assertProblem(response, 400, "malformed-body", "not valid JSON");
  }

  @Test
  void invalid_model_name_is_400_naming_the_rule() {
    Response response = api.postJson("/api/v1/models", Map.of("name", "Not A Name"));
    assertProblem(response, 400, "invalid-request", "name: must be 1-63 characters");
    Response upload = api.upload("UPPER", Fixtures.bytes("digits_mlp.onnx"), null);
    assertProblem(upload, 400, "invalid-request", "Model name 'UPPER'");
  }

  @Test
  void unknown_model_version_and_alias_are_404() {
    api.upload(model, Fixtures.bytes("digits_mlp.onnx"), null);
    assertProblem(api.get("/api/v1/models/nobody-" + model), 404, "model-not-found", "nobody-");
    assertProblem(
        api.get("/api/v1/models/" + model + "/versions/9"),
        404,
        "version-not-found",
        "no version 9");
    assertProblem(
        api.get("/api/v1/models/" + model + "/versions/9/artifact"), 404, "version-not-found", "9");
    assertProblem(
        api.get("/api/v1/models/" + model + "/aliases/production"),
        404,
        "alias-not-found",
        "production");
    assertProblem(
        api.putJson("/api/v1/models/" + model + "/aliases/production", Map.of("version", 9)),
        404,
        "version-not-found",
        "9");
  }

  @Test
  void non_numeric_version_and_out_of_range_paging_are_400() {
    assertProblem(
        api.get("/api/v1/models/" + model + "/versions/abc"), 400, "invalid-request", "'abc'");
    assertProblem(api.get("/api/v1/models?size=0"), 400, "invalid-request", "size");
    assertProblem(api.get("/api/v1/models?page=-1"), 400, "invalid-request", "page");
  }

  @Test
  void reserved_or_invalid_alias_names_are_400() {
    api.upload(model, Fixtures.bytes("digits_mlp.onnx"), null);
    String aliases = "/api/v1/models/" + model + "/aliases/";
    assertProblem(
        api.putJson(aliases + "v2", Map.of("version", 1)), 400, "invalid-request", "reserved");
    assertProblem(
        api.putJson(aliases + "latest", Map.of("version", 1)), 400, "invalid-request", "reserved");
    assertProblem(
        api.putJson(aliases + "Prod", Map.of("version", 1)), 400, "invalid-request", "'Prod'");
    assertProblem(
        api.putJson(aliases + "production", Map.of("version", 0)),
        400,
        "invalid-request",
        "version");
  }

  @Test
  void body_that_is_neither_octet_stream_nor_multipart_is_415() {
    Response response =
        api.sendRaw(
            "POST", "/api/v1/models/" + model + "/versions", "text/plain", "hello".getBytes());
    assertProblem(response, 415, "unsupported-media-type", "application/octet-stream");
    assertNothingStored();
  }

  @Test
  void unknown_format_parameter_is_400() {
    Response response = api.upload(model, Fixtures.bytes("digits_mlp.onnx"), "format=keras");
    assertProblem(response, 400, "invalid-request", "format 'keras'");
    assertNothingStored();
  }

  @Test
  void upload_over_the_size_limit_is_413_and_stores_nothing() {
    // Sent without a Content-Length, so the limit trips while streaming (limit: 8 MB).
    byte[] big = new byte[9 * 1024 * 1024];
    Response response =
        api.send(
            api.request(
                    "/api/v1/models/" + model + "/versions",
                    "Content-Type",
                    "application/octet-stream")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
    assertProblem(response, 413, "artifact-too-large", "8 MB");
    assertNothingStored();
  }

  @Test
  void declared_content_length_over_the_limit_is_413_before_any_byte_is_read() throws Exception {
    // As curl does for large bodies: wait for "100 Continue" before sending. The server refuses
    // from the headers alone, so not a byte of the 100 GB needs to travel.
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /api/v1/models/"
                  + model
                  + "/versions HTTP/1.1\r\n"
                  + "Host: 127.0.0.1\r\n"
                  + "Authorization: Bearer "
                  + TestSecrets.adminKey()
                  + "\r\n"
                  + "Content-Type: application/octet-stream\r\n"
                  + "Content-Length: 107374182400\r\n"
                  + "Expect: 100-continue\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).startsWith("HTTP/1.1 413");
      assertThat(response).contains("artifact-too-large");
    }
    assertNothingStored();
  }

  @Test
  void corrupt_and_truncated_artifacts_are_422() {
    byte[] onnx = Fixtures.bytes("digits_mlp.onnx");
    assertProblem(
        api.upload(model, Arrays.copyOf(onnx, onnx.length / 2), "filename=m.onnx"),
        422,
        "invalid-artifact",
        "truncated or corrupt");
    assertProblem(
        api.upload(model, "just text".getBytes(), "filename=notes.txt"),
        422,
        "invalid-artifact",
        "Unrecognized artifact");
    assertProblem(api.upload(model, new byte[0], null), 422, "invalid-artifact", "empty");
    assertNothingStored();
  }

  @Test
  void torchscript_without_signature_and_torch_save_checkpoint_are_422() {
    assertProblem(
        api.upload(model, Fixtures.bytes("digits_mlp.pt"), "filename=m.pt"),
        422,
        "invalid-artifact",
        "signature");
    assertProblem(
        api.uploadMultipart(
            model,
            Fixtures.bytes("digits_mlp_state.pt"),
            "state.pt",
            "{\"signature\":" + Fixtures.DIGITS_SIGNATURE + "}"),
        422,
        "invalid-artifact",
        "torch.save");
    assertNothingStored();
  }

  @Test
  void zip_slip_symlink_and_zip_bomb_archives_are_422() {
    Map<String, byte[]> slip = new LinkedHashMap<>();
    slip.put("../../../../tmp/modelhub-slip.onnx", Fixtures.bytes("digits_mlp.onnx"));
    assertProblem(
        api.upload(model, Archives.zip(slip), "filename=m.zip"), 422, "archive-rejected", "'..'");
    assertProblem(
        api.upload(
            model,
            Archives.tarGz(
                Map.of("m/saved_model.pb", new byte[] {1}), Map.of("m/x", "/etc"), Map.of()),
            "filename=m.tar.gz"),
        422,
        "archive-rejected",
        "symbolic link");
    // 64 MB of zeros in a ~64 KB zip; archives may unpack to 32 MB here.
    assertProblem(
        api.upload(model, Archives.zipBomb("model.onnx", 64 * 1024 * 1024), "filename=bomb.zip"),
        422,
        "archive-rejected",
        "max-unpacked-size");
    assertThat(Path.of("/tmp/modelhub-slip.onnx")).doesNotExist();
    assertNothingStored();
  }

  @Test
  void multipart_without_a_file_part_or_with_bad_metadata_is_400() {
    String boundary = "b0undary";
    String body =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{}\r\n--"
            + boundary
            + "--\r\n";
    Response noFile =
        api.sendRaw(
            "POST",
            "/api/v1/models/" + model + "/versions",
            "multipart/form-data; boundary=" + boundary,
            body.getBytes(StandardCharsets.UTF_8));
    assertProblem(noFile, 400, "invalid-request", "no 'file' part");

    Response badMetadata =
        api.uploadMultipart(model, Fixtures.bytes("digits_mlp.onnx"), "m.onnx", "{\"tags\": [1");
    assertProblem(badMetadata, 400, "malformed-body", "'metadata' part cannot be read");
    Response badDatatype =
        api.uploadMultipart(
            model,
            Fixtures.bytes("digits_mlp.pt"),
            "m.pt",
            "{\"signature\":" + Fixtures.DIGITS_SIGNATURE.replace("FP32", "float32") + "}");
    assertProblem(badDatatype, 400, "malformed-body", "unknown datatype 'float32'");
    assertNothingStored();
  }

  private void assertNothingStored() {
    assertThat(versionRows(model)).isZero();
    try {
      assertThat(objectKeys("")).containsExactlyInAnyOrderElementsOf(objectsBefore);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void assertProblem(Response response, int status, String type, String detail) {
    assertThat(response.status()).as(response.toString()).isEqualTo(status);
    assertThat(response.header("Content-Type")).startsWith("application/problem+json");
    assertThat(response.json().get("type").asString())
        .isEqualTo("https://modelhub.dev/problems/" + type);
    assertThat(response.json().get("detail").asString()).contains(detail);
  }
}
