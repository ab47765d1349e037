package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A version that cannot load never takes the model down — forced past its failed validation load
 * here, as it would be by someone who knows better, or by an engine that changed since.
 */
class FailedLoadIT extends ServingTest {

  @Test
  void old_version_keeps_answering_when_the_new_one_fails_to_load() throws Exception {
    String model = uniqueName("failing");
    int good = register(model, Fixtures.bytes("digits_mlp.onnx"), "good.onnx");
    int bad = register(model, OnnxModels.corruptedDigits(), "bad.onnx");
    promote(model, "production", good);
    awaitServing(model, "production", good);
    double failuresBefore = loadFailures(model);

    forcePromote(model, "production", bad);
    await()
        .atMost(LOAD_TIMEOUT)
        .until(
            () -> slot(api, model, "production").map(s -> s.get("state").asString()).orElse(""),
            "FAILED"::equals);

    JsonNode slot = slot(api, model, "production").orElseThrow();
    assertThat(slot.get("version").asInt()).isEqualTo(good);
    assertThat(slot.get("desiredVersion").asInt()).isEqualTo(bad);
    // The engine's own words (through the engine host), not DJL's "cannot be loaded".
    assertThat(slot.get("lastError").asString())
        .contains("OrtException")
        .contains("does not match expected size");
    assertThat(slot.get("lastErrorAt").asString()).isNotBlank();
    assertThat(slot.get("failedAttempts").asInt()).isPositive();
    Response answer = infer(model);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    assertThat(answer.json().get("model_version").asString()).isEqualTo(Integer.toString(good));
    assertThat(loadFailures(model)).isGreaterThan(failuresBefore);

    // TF Serving's status shows the failure next to the version that serves.
    JsonNode status = api.get("/v1/models/" + model).json().get("model_version_status");
    assertThat(status.toString()).contains("\"state\":\"AVAILABLE\"").contains("\"state\":\"END\"");
    // Health counts the model as answering: an older version serves in place of the failed one.
    JsonNode health =
        api.get("/actuator/health")
            .json()
            .get("components")
            .get("serving")
            .get("details")
            .get("models")
            .get(model + "@production");
    assertThat(health.get("state").asString()).isEqualTo("FAILED");
    assertThat(health.get("version").asInt()).isEqualTo(good);

    // It is retried with backoff: the counter keeps growing while the alias stays put.
    double after = loadFailures(model);
    await().atMost(Duration.ofSeconds(15)).until(() -> loadFailures(model) > after);
    assertThat(infer(model).status()).isEqualTo(200);

    // Moving the alias back ends the retries.
    promote(model, "production", good);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                slot(api, model, "production")
                    .orElseThrow()
                    .get("state")
                    .asString()
                    .equals("READY"));
  }

  @Test
  void a_model_with_nothing_older_answers_503_with_retry_after_while_it_cannot_load()
      throws Exception {
    String model = uniqueName("never");
    int bad = register(model, OnnxModels.corruptedDigits(), "bad.onnx");
    forcePromote(model, "production", bad);
    await().atMost(LOAD_TIMEOUT).until(() -> loadFailures(model) > 0);

    Response answer = infer(model);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(503);
    assertThat(answer.header("Retry-After")).isNotBlank();
    assertThat(answer.json().get("type").asString()).endsWith("/model-loading");
    assertThat(answer.json().get("detail").asString()).contains("last attempt failed");
    Response ready = api.get("/v2/models/" + model + "/ready");
    assertThat(ready.status()).isEqualTo(503);
    assertThat(ready.json().get("ready").asBoolean()).isFalse();
    // One model that cannot load does not take the node out: it is not ready on its own.
    assertThat(api.get("/v2/health/ready").status()).isEqualTo(200);
    JsonNode health = api.get("/actuator/health/readiness").json().get("components").get("serving");
    assertThat(health.get("status").asString()).isEqualTo("UP");
    assertThat(
            health.get("details").get("models").get(model + "@production").get("state").asString())
        .isEqualTo("FAILED");

    // Deleting the alias stops serving it: it no longer counts against readiness.
    api.delete("/api/v1/models/" + model + "/aliases/production");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> api.get("/v2/models/" + model + "/ready").status() == 404);
    assertThat(
            api.get("/actuator/health/readiness")
                .json()
                .get("components")
                .get("serving")
                .get("details")
                .get("models")
                .has(model + "@production"))
        .isFalse();
  }

  private Response infer(String model) {
    return inferDigit(api, model);
  }

  private double loadFailures(String model) {
    return metric("modelhub_model_loads_total", "model=\"" + model + "\"", "outcome=\"failure\"");
  }
}
