package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Versions shared by aliases load once; deleting an alias unloads what only it kept loaded. */
class AliasLifecycleIT extends ServingTest {

  @Test
  void deleting_an_alias_unloads_what_only_it_kept_loaded() {
    String model = uniqueName("aliases");
    int v1 = register(model, Fixtures.bytes("digits_mlp.onnx"), "v1.onnx");
    int v2 = register(model, OnnxModels.mlp(3, 64, 256, 128, 10).toByteArray(), "v2.onnx");
    promote(model, "production", v1);
    promote(model, "staging", v2);
    awaitServing(model, "production", v1);
    awaitServing(model, "staging", v2);
    assertThat(metadataVersions(model)).isEqualTo("[\"1\",\"2\"]");

    api.delete("/api/v1/models/" + model + "/aliases/staging");
    await().atMost(Duration.ofSeconds(10)).until(() -> metadataVersions(model).equals("[\"1\"]"));
    assertThat(api.get("/v2/models/" + model + "/versions/" + v2 + "/ready").status())
        .isEqualTo(404);
    assertThat(slot(api, model, "staging")).isEmpty();

    // Both aliases on one version: loaded once, and deleting one keeps it serving.
    promote(model, "staging", v1);
    awaitServing(model, "staging", v1);
    assertThat(metadataVersions(model)).isEqualTo("[\"1\"]");
    api.delete("/api/v1/models/" + model + "/aliases/staging");
    await().atMost(Duration.ofSeconds(10)).until(() -> slot(api, model, "staging").isEmpty());
    assertThat(servedVersion(api, model, "production")).isEqualTo(v1);
    assertThat(api.get("/v2/models/" + model + "/ready").status()).isEqualTo(200);

    api.delete("/api/v1/models/" + model + "/aliases/production");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> api.get("/v2/models/" + model + "/ready").status() == 404);
    JsonNode status = api.get("/api/v1/serving").json();
    assertThat(status.toString()).doesNotContain(model);
  }

  private String metadataVersions(String model) {
    return api.get("/v2/models/" + model).json().get("versions").toString();
  }
}
