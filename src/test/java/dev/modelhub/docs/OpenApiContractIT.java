package dev.modelhub.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.ServingTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The API is a contract: the document the running application serves (every role on) must be the
 * one committed in {@code docs/openapi.json}, which the build generates its typed client from. A
 * change to the API shows up as a change to that file, reviewed like code. {@code
 * -Dopenapi.update=true} rewrites the file from the running application.
 */
class OpenApiContractIT extends ServingTest {

  static final Path CONTRACT = Path.of("docs", "openapi.json");

  private static final JsonMapper CANONICAL =
      JsonMapper.builder()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(tools.jackson.databind.MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .build();

  @Test
  void the_served_document_is_the_committed_contract() throws IOException {
    Response served = api.get("/v3/api-docs");
    assertThat(served.status()).as(served.toString()).isEqualTo(200);
    String actual = canonical(served.json()) + "\n";
    if (Boolean.getBoolean("openapi.update")) {
      Files.writeString(CONTRACT, actual);
    }
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "openapi.json"), actual);
    String committed = Files.exists(CONTRACT) ? Files.readString(CONTRACT) : "";
    assertThat(actual)
        .as(
            "The API differs from its contract docs/openapi.json (the served document is in"
                + " target/openapi.json). If the change is intended, run this test with"
                + " -Dopenapi.update=true and commit docs/openapi.json.")
        .isEqualTo(committed);
  }

  @Test
  void every_operation_says_what_it_does_who_may_call_it_and_how_it_fails() {
    JsonNode document = api.get("/v3/api-docs").json();
    java.util.Set<String> tags = new java.util.HashSet<>();
    document.get("tags").forEach(t -> tags.add(t.get("name").asString()));
    assertThat(tags)
        .contains(
            "Models",
            "Versions",
            "Aliases",
            "Datasets",
            "Optimization jobs",
            "Keys",
            "Audit",
            "Serving status",
            "Inference — Open Inference Protocol",
            "Inference — TensorFlow Serving");
    assertThat(document.get("info").get("title").asString()).isEqualTo("Modelhub");
    assertThat(document.get("info").get("version").asString()).isNotEqualTo("v0");
    java.util.List<String> problems = new java.util.ArrayList<>();
    java.util.Set<String> operationIds = new java.util.HashSet<>();
    for (var path : document.get("paths").properties()) {
      for (var entry : path.getValue().properties()) {
        String where = entry.getKey().toUpperCase() + " " + path.getKey();
        JsonNode operation = entry.getValue();
        String operationId = operation.path("operationId").asString("");
        if (operationId.isBlank() || !operationIds.add(operationId)) {
          problems.add(where + ": no operationId of its own");
        }
        if (operation.path("summary").asString("").isBlank()) {
          problems.add(where + ": no summary");
        }
        if (operation.path("tags").size() != 1
            || !tags.contains(operation.get("tags").get(0).asString())) {
          problems.add(where + ": not under one of the document's tags");
        }
        String role = operation.path("x-modelhub-role").asString("");
        if (role.isEmpty()
            || !operation.path("description").asString("").matches("(?s).*(Needs the|No key).*")) {
          problems.add(where + ": does not state the role it needs");
        }
        JsonNode responses = operation.path("responses");
        boolean success = false;
        for (var response : responses.properties()) {
          if (response.getKey().startsWith("2")) {
            success = true;
          } else if (!response.getValue().path("content").has("application/problem+json")
              // A readiness probe's 503 is its answer ({"ready": false}), not an error.
              && !(where.endsWith("/ready") && response.getKey().equals("503"))) {
            problems.add(where + ": " + response.getKey() + " is not described as a problem");
          }
        }
        if (!success) {
          problems.add(where + ": no success response");
        }
        if (!role.equals("none") && !responses.has("401")) {
          problems.add(where + ": no 401 problem");
        }
        boolean hasBody = operation.has("requestBody");
        if (entry.getKey().matches("put|patch") && !hasBody) {
          problems.add(where + ": no request body");
        }
        for (var content : operation.path("requestBody").path("content").properties()) {
          if (!content.getValue().has("schema")) {
            problems.add(where + ": request " + content.getKey() + " has no schema");
          }
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  static String canonical(JsonNode document) {
    // Through a plain tree so that object members are sorted at every depth.
    Object tree = CANONICAL.treeToValue(document, Object.class);
    return CANONICAL.writeValueAsString(tree);
  }
}
