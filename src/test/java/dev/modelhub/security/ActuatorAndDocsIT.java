package dev.modelhub.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.SecretScan;
import dev.modelhub.support.TestSecrets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * What strangers, scrapers and operators see of Actuator and the API docs: probes are open and show
 * nothing, details and metrics need a key, the OpenAPI document is readable and explains how to
 * authenticate, and no configured secret appears anywhere.
 */
class ActuatorAndDocsIT extends IntegrationTest {

  @Test
  void probes_are_open_and_show_only_a_status_to_anonymous_callers() {
    for (String probe :
        new String[] {
          "/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"
        }) {
      Response response = api.anonymous().get(probe);
      assertThat(response.status()).as(probe).isEqualTo(200);
      JsonNode body = response.json();
      assertThat(body.get("status").asString()).isEqualTo("UP");
      assertThat(body.has("components")).as(probe + " components").isFalse();
      assertThat(response.text()).doesNotContain("endpoint").doesNotContain("worker");
    }
    JsonNode detailed = api.get("/actuator/health").json();
    assertThat(detailed.get("components").get("objectStorage").get("details").get("endpoint"))
        .isNotNull();
  }

  @Test
  void metrics_need_a_viewer_key_and_the_rest_of_actuator_an_admin_key() {
    assertThat(api.anonymous().get("/actuator/prometheus").status()).isEqualTo(401);
    String viewer = createKey(uniqueName("scraper"), "viewer");
    assertThat(api.as(viewer).get("/actuator/prometheus").status()).isEqualTo(200);
    assertThat(api.as(viewer).get("/actuator/metrics").status()).isEqualTo(403);
    assertThat(api.as(viewer).get("/actuator/info").status()).isEqualTo(403);
    assertThat(api.get("/actuator/metrics").status()).isEqualTo(200);
    assertThat(api.get("/actuator/env").status()).isEqualTo(404);
    assertThat(api.get("/actuator/configprops").status()).isEqualTo(404);
  }

  @Test
  void the_openapi_document_is_readable_and_describes_bearer_authentication() {
    Response docs = api.anonymous().get("/v3/api-docs");
    assertThat(docs.status()).isEqualTo(200);
    JsonNode spec = docs.json();
    assertThat(spec.get("components").get("securitySchemes").get("bearer").get("scheme").asString())
        .isEqualTo("bearer");
    assertThat(docs.text()).doesNotContain("X-Modelhub-Actor");
    JsonNode move = spec.get("paths").get("/api/v1/models/{name}/aliases/{alias}").get("put");
    assertThat(move.get("description").asString()).contains("deployer");
    assertThat(move.toString()).doesNotContain("\"caller\"");
    assertThat(api.anonymous().get("/swagger-ui/index.html").status()).isEqualTo(200);
  }

  @Test
  void no_configured_secret_appears_in_actuator_docs_or_errors() {
    for (String path :
        new String[] {
          "/actuator/health", "/actuator/info", "/actuator/metrics", "/actuator/prometheus",
          "/v3/api-docs", "/api/v1/keys", "/api/v1/audit", "/api/v1/models/no-such-model"
        }) {
      api.get(path);
    }
    api.anonymous().get("/api/v1/keys");
    assertThat(SecretScan.violations()).isEmpty();
    // The scan itself works: a registered secret in a response is reported.
    assertThat(SecretScan.find("key " + TestSecrets.adminKey())).isNotEmpty();
  }
}
