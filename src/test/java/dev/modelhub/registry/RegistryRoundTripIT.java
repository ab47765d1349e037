package dev.modelhub.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Archives;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.SavedModels;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Each format goes in and comes back byte for byte, with the signature inspection found. */
class RegistryRoundTripIT extends IntegrationTest {

  @Test
  void onnx_model_round_trips_with_identical_bytes_and_digest() throws Exception {
    String model = uniqueName("digits");
    byte[] onnx = Fixtures.bytes("digits_mlp.onnx");

    Response created = api.upload(model, onnx, "filename=digits_mlp.onnx");

    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.header("Location")).isEqualTo("/api/v1/models/" + model + "/versions/1");
    JsonNode version = created.json();
    assertThat(version.get("version").asInt()).isEqualTo(1);
    assertThat(version.get("format").asString()).isEqualTo("onnx");
    assertThat(version.get("digest").asString()).isEqualTo("sha256:" + sha256(onnx));
    assertThat(version.get("sizeBytes").asLong()).isEqualTo(onnx.length);
    assertThat(version.get("parameterCount").asLong()).isEqualTo(50_826);
    assertThat(version.get("status").asString()).isEqualTo("READY");
    assertThat(version.get("parentVersion").isNull()).isTrue();
    assertThat(version.get("lineage").isNull()).isTrue();
    assertThat(version.get("createdAt").asString()).isNotBlank();
    assertSignature(version.get("signature"), "input", "[-1,64]", "logits", "[-1,10]");

    Response download = api.get("/api/v1/models/" + model + "/versions/1/artifact");
    assertThat(download.status()).isEqualTo(200);
    assertThat(download.body()).isEqualTo(onnx);
    assertThat(download.header("ETag")).isEqualTo("\"sha256:" + sha256(onnx) + "\"");
    assertThat(download.header("Content-Length")).isEqualTo(Integer.toString(onnx.length));
    assertThat(download.header("Content-Disposition")).contains("digits_mlp.onnx");
  }

  @Test
  void saved_model_archive_round_trips_with_metadata_from_the_multipart_body() throws Exception {
    String model = uniqueName("classifier");
    byte[] archive =
        Archives.tarGz(SavedModels.entries("classifier", SavedModels.classifier(11, 64, 10)));

    Response created =
        api.uploadMultipart(
            model,
            archive,
            "classifier.tar.gz",
            "{\"description\":\"softmax baseline\",\"tags\":{\"team\":\"vision\"}}");

    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    JsonNode version = created.json();
    assertThat(version.get("format").asString()).isEqualTo("saved_model");
    assertThat(version.get("description").asString()).isEqualTo("softmax baseline");
    assertThat(version.get("tags").get("team").asString()).isEqualTo("vision");
    assertThat(version.get("filename").asString()).isEqualTo("classifier.tar.gz");
    assertThat(version.get("formatDetails").get("defaultSignature").asString())
        .isEqualTo("serving_default");
    assertSignature(version.get("signature"), "x", "[-1,64]", "probabilities", "[-1,10]");

    Response download = api.get("/api/v1/models/" + model + "/versions/1/artifact");
    assertThat(download.body()).isEqualTo(archive);
    assertThat(download.header("ETag")).isEqualTo("\"sha256:" + sha256(archive) + "\"");
  }

  @Test
  void torchscript_round_trips_with_its_declared_signature() throws Exception {
    String model = uniqueName("torch");
    byte[] pt = Fixtures.bytes("digits_mlp.pt");

    Response created =
        api.uploadMultipart(
            model, pt, "digits_mlp.pt", "{\"signature\":" + Fixtures.DIGITS_SIGNATURE + "}");

    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    JsonNode version = created.json();
    assertThat(version.get("format").asString()).isEqualTo("torchscript");
    assertSignature(version.get("signature"), "input", "[-1,64]", "logits", "[-1,10]");
    assertThat(api.get("/api/v1/models/" + model + "/versions/1/artifact").body()).isEqualTo(pt);
  }

  @Test
  void the_same_bytes_registered_twice_are_stored_once() throws Exception {
    String first = uniqueName("dedup-a");
    String second = uniqueName("dedup-b");
    byte[] onnx = Fixtures.bytes("digits_mlp.onnx");
    String hex = sha256(onnx);

    assertThat(api.upload(first, onnx, null).status()).isEqualTo(201);
    assertThat(api.upload(first, onnx, null).status()).isEqualTo(201);
    assertThat(api.upload(second, onnx, null).status()).isEqualTo(201);

    assertThat(objectKeys("sha256/" + hex.substring(0, 2) + "/" + hex))
        .containsExactly("sha256/" + hex.substring(0, 2) + "/" + hex);
    assertThat(versionRows(first)).isEqualTo(2);
    assertThat(versionRows(second)).isEqualTo(1);
    assertThat(objectKeys("staging/")).isEmpty();
  }

  @Test
  void range_requests_return_the_requested_bytes() throws Exception {
    String model = uniqueName("range");
    byte[] onnx = Fixtures.bytes("digits_mlp.onnx");
    api.upload(model, onnx, null);
    String path = "/api/v1/models/" + model + "/versions/1/artifact";

    Response middle = api.get(path, "Range", "bytes=100-199");
    assertThat(middle.status()).isEqualTo(206);
    assertThat(middle.body()).isEqualTo(Arrays.copyOfRange(onnx, 100, 200));
    assertThat(middle.header("Content-Range")).isEqualTo("bytes 100-199/" + onnx.length);

    Response tail = api.get(path, "Range", "bytes=-10");
    assertThat(tail.status()).isEqualTo(206);
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(onnx, onnx.length - 10, onnx.length));

    Response beyond = api.get(path, "Range", "bytes=" + onnx.length + "-");
    assertThat(beyond.status()).isEqualTo(416);
    assertThat(beyond.header("Content-Range")).isEqualTo("bytes */" + onnx.length);
    assertThat(beyond.json().get("type").asString()).endsWith("/range-not-satisfiable");

    Response unchanged = api.get(path, "If-None-Match", "\"sha256:" + sha256(onnx) + "\"");
    assertThat(unchanged.status()).isEqualTo(304);
    assertThat(unchanged.body()).isEmpty();
  }

  @Test
  void models_are_created_listed_searched_changed_and_deleted() {
    String name = uniqueName("crud");
    Response created =
        api.postJson(
            "/api/v1/models",
            Map.of("name", name, "description", "handwritten digits", "tags", Map.of("a", "1")));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.header("Location")).isEqualTo("/api/v1/models/" + name);

    Response duplicate = api.postJson("/api/v1/models", Map.of("name", name));
    assertThat(duplicate.status()).isEqualTo(409);
    assertThat(duplicate.json().get("type").asString()).endsWith("/model-exists");

    JsonNode found = api.get("/api/v1/models?query=" + name + "&size=5").json();
    assertThat(found.get("totalItems").asLong()).isEqualTo(1);
    assertThat(found.get("items").get(0).get("name").asString()).isEqualTo(name);

    Response patched =
        api.patchJson("/api/v1/models/" + name, Map.of("tags", Map.of("stage", "beta")));
    assertThat(patched.json().get("description").asString()).isEqualTo("handwritten digits");
    assertThat(patched.json().get("tags").get("stage").asString()).isEqualTo("beta");
    assertThat(patched.json().get("tags").has("a")).isFalse();

    assertThat(api.delete("/api/v1/models/" + name).status()).isEqualTo(204);
    assertThat(api.get("/api/v1/models/" + name).status()).isEqualTo(404);
  }

  @Test
  void model_shows_its_aliases_and_latest_version_and_versions_list_newest_first() {
    String name = uniqueName("latest");
    byte[] onnx = Fixtures.bytes("digits_mlp.onnx");
    api.upload(name, onnx, null);
    api.upload(name, OnnxModels.mlp(5, 64, 10).toByteArray(), null);
    api.putJson("/api/v1/models/" + name + "/aliases/production", Map.of("version", 1));

    JsonNode model = api.get("/api/v1/models/" + name).json();
    assertThat(model.get("aliases").get("production").asInt()).isEqualTo(1);
    assertThat(model.get("latestVersion").get("version").asInt()).isEqualTo(2);

    JsonNode versions = api.get("/api/v1/models/" + name + "/versions").json();
    assertThat(versions.get("items").findValuesAsString("version")).containsExactly("2", "1");
    assertThat(versions.get("items").get(1).get("aliases").get(0).asString())
        .isEqualTo("production");

    Response patched =
        api.patchJson("/api/v1/models/" + name + "/versions/2", Map.of("description", "candidate"));
    assertThat(patched.json().get("description").asString()).isEqualTo("candidate");
  }

  @Test
  void archiving_and_deleting_are_refused_while_an_alias_points() {
    String name = uniqueName("guard");
    api.upload(name, Fixtures.bytes("digits_mlp.onnx"), null);
    api.upload(name, OnnxModels.mlp(6, 64, 10).toByteArray(), null);
    api.putJson("/api/v1/models/" + name + "/aliases/production", Map.of("version", 1));

    Response archive = api.delete("/api/v1/models/" + name + "/versions/1");
    assertThat(archive.status()).isEqualTo(409);
    assertThat(archive.json().get("detail").asString()).contains("[production]");
    Response delete = api.delete("/api/v1/models/" + name);
    assertThat(delete.status()).isEqualTo(409);
    assertThat(delete.json().get("type").asString()).endsWith("/alias-in-use");

    Response archived = api.delete("/api/v1/models/" + name + "/versions/2");
    assertThat(archived.status()).isEqualTo(200);
    assertThat(archived.json().get("status").asString()).isEqualTo("ARCHIVED");
    Response toArchived =
        api.putJson("/api/v1/models/" + name + "/aliases/production", Map.of("version", 2));
    assertThat(toArchived.status()).isEqualTo(409);
    assertThat(toArchived.json().get("type").asString()).endsWith("/version-archived");
    // Archived versions stay downloadable.
    assertThat(api.get("/api/v1/models/" + name + "/versions/2/artifact").status()).isEqualTo(200);

    assertThat(api.delete("/api/v1/models/" + name + "/aliases/production").status())
        .isEqualTo(204);
    assertThat(api.delete("/api/v1/models/" + name).status()).isEqualTo(204);
    assertThat(versionRows(name)).isZero();
  }

  private static void assertSignature(
      JsonNode signature, String input, String inputShape, String output, String outputShape) {
    assertThat(signature.get("inputs")).hasSize(1);
    assertThat(signature.get("inputs").get(0).get("name").asString()).isEqualTo(input);
    assertThat(signature.get("inputs").get(0).get("datatype").asString()).isEqualTo("FP32");
    assertThat(signature.get("inputs").get(0).get("shape").toString()).isEqualTo(inputShape);
    assertThat(signature.get("outputs")).hasSize(1);
    assertThat(signature.get("outputs").get(0).get("name").asString()).isEqualTo(output);
    assertThat(signature.get("outputs").get(0).get("shape").toString()).isEqualTo(outputShape);
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  static List<String> list(String... values) {
    return List.of(values);
  }
}
