package dev.modelhub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Fixtures;
import dev.modelhub.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class InfoIT extends IntegrationTest {

  @Test
  void health_has_db_and_object_storage_and_info_has_the_build_version() {
    JsonNode health = api.get("/actuator/health").json();
    assertThat(health.get("status").asString()).isEqualTo("UP");
    assertThat(health.get("components").get("db").get("status").asString()).isEqualTo("UP");
    assertThat(health.get("components").get("objectStorage").get("status").asString())
        .isEqualTo("UP");

    JsonNode info = api.get("/actuator/info").json();
    assertThat(info.get("build").get("version").asString()).isNotBlank();
    assertThat(info.get("build").get("artifact").asString()).isEqualTo("modelhub");
  }

  @Test
  void prometheus_exposes_upload_metrics() {
    api.upload(uniqueName("metrics"), Fixtures.bytes("digits_mlp.onnx"), null);

    String metrics = api.get("/actuator/prometheus").text();

    assertThat(metrics).contains("modelhub_uploads_active");
    assertThat(metrics).containsPattern("modelhub_uploads_total\\{[^}]*outcome=\"registered\"");
    assertThat(metrics).contains("modelhub_uploads_bytes_total");
  }

  @Test
  void openapi_spec_and_swagger_ui_are_served() {
    JsonNode spec = api.get("/v3/api-docs").json();
    assertThat(spec.get("paths").has("/api/v1/models/{name}/versions")).isTrue();
    assertThat(spec.get("paths").has("/api/v1/models/{name}/aliases/{alias}/history")).isTrue();
    assertThat(api.get("/swagger-ui/index.html").status()).isEqualTo(200);
  }
}
