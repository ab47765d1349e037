package dev.modelhub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** With object storage unreachable the app still starts, says so in health, and answers 503. */
@TestPropertySource(properties = "modelhub.storage.endpoint=http://127.0.0.1:9")
class ObjectStorageHealthIT extends IntegrationTest {

  @Test
  void unreachable_storage_is_down_in_health_with_the_endpoint() {
    Response health = api.get("/actuator/health");

    assertThat(health.status()).isEqualTo(503);
    JsonNode components = health.json().get("components");
    assertThat(components.get("db").get("status").asString()).isEqualTo("UP");
    JsonNode storage = components.get("objectStorage");
    assertThat(storage.get("status").asString()).isEqualTo("DOWN");
    assertThat(storage.get("details").get("endpoint").asString()).isEqualTo("http://127.0.0.1:9");
    assertThat(storage.get("details").get("error").asString()).contains("127.0.0.1:9");
  }

  @Test
  void uploads_answer_503_and_leave_no_row() {
    String model = uniqueName("nostorage");
    Response upload = api.upload(model, Fixtures.bytes("digits_mlp.onnx"), null);

    assertThat(upload.status()).as(upload.toString()).isEqualTo(503);
    assertThat(upload.json().get("type").asString()).endsWith("/storage-unavailable");
    // A 5xx says that something failed and how to refer to it, not where the storage lives.
    assertThat(upload.json().get("detail").asString())
        .doesNotContain("127.0.0.1")
        .contains(upload.header("X-Request-Id"));
    assertThat(upload.json().get("reference").asString()).isEqualTo(upload.header("X-Request-Id"));
    assertThat(versionRows(model)).isZero();
  }
}
