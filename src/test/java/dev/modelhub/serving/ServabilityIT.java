package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Whether a version can be served is known at upload: a validation load in an engine host records
 * {@code servable} or the engine's own message, and an alias moves to an unservable version only
 * when forced.
 */
class ServabilityIT extends ServingTest {

  @Test
  void a_version_the_engine_loads_is_servable_and_promotes() {
    String model = uniqueName("servable");
    double before = validations("servable");
    Response created = api.upload(model, Fixtures.bytes("digits_mlp.onnx"), "filename=m.onnx");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("servable").asBoolean()).isTrue();
    assertThat(created.json().get("servableMessage").isNull()).isTrue();
    assertThat(version(model, 1).get("servable").asBoolean()).isTrue();
    assertThat(validations("servable")).isEqualTo(before + 1);
    promote(model, "production", 1);
  }

  @Test
  void an_operator_onnx_does_not_define_is_refused_with_the_engines_words_until_forced() {
    String model = uniqueName("unservable");
    int good = register(model, Fixtures.bytes("digits_mlp.onnx"), "good.onnx");
    promote(model, "production", good);
    double before = validations("unservable");

    Response created =
        api.upload(model, OnnxModels.unknownOperator().toByteArray(), "filename=bad.onnx");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    int bad = created.json().get("version").asInt();
    JsonNode version = version(model, bad);
    assertThat(version.get("servable").asBoolean()).isFalse();
    String message = version.get("servableMessage").asString();
    assertThat(message).contains("Frobnicate").doesNotContain("/tmp").doesNotContain("/work");
    assertThat(validations("unservable")).isEqualTo(before + 1);

    String path = "/api/v1/models/" + model + "/aliases/production";
    Response refused = api.putJson(path, Map.of("version", bad));
    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
    assertThat(refused.json().get("type").asString()).endsWith("/version-not-servable");
    assertThat(refused.json().get("detail").asString()).contains("Frobnicate").contains("force");
    assertThat(api.get(path).json().get("version").asInt()).isEqualTo(good);

    // Forced (in the body, or as ?force=true): the alias moves and the audit trail says so.
    Response forced = api.putJson(path, Map.of("version", bad, "force", true));
    assertThat(forced.status()).as(forced.toString()).isEqualTo(200);
    assertThat(api.get(path).json().get("version").asInt()).isEqualTo(bad);
    assertThat(
            api.get("/api/v1/audit?model=" + model + "&action=alias.move")
                .json()
                .get("items")
                .toString())
        .contains("forced: not servable");
    Response back = api.putJson(path + "?force=false", Map.of("version", good));
    assertThat(back.status()).as(back.toString()).isEqualTo(200);
  }

  /** While a version's validation load runs, no alias may point at it (nor does one skip it). */
  @Test
  void a_version_being_checked_cannot_be_promoted_until_its_check_is_recorded() {
    String model = uniqueName("validating");
    int number = register(model, Fixtures.bytes("digits_mlp.onnx"), "m.onnx");
    // as the row stands while a node runs its check: not yet servable, checked for a while yet
    jdbc.sql(
            "update model_version set servable = null, validating_until = now() + interval '1 hour'"
                + " where model_id = (select id from model where name = ?) and version = ?")
        .params(model, number)
        .update();
    String path = "/api/v1/models/" + model + "/aliases/production";
    for (String query : List.of("", "?force=true")) {
      Response refused = api.putJson(path + query, Map.of("version", number));
      assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
      assertThat(refused.json().get("type").asString()).endsWith("/version-validating");
    }
    // a node that stopped mid-check: once validating-until passes, it is promotable (unchecked)
    jdbc.sql(
            "update model_version set validating_until = now() - interval '1 second'"
                + " where model_id = (select id from model where name = ?) and version = ?")
        .params(model, number)
        .update();
    assertThat(api.putJson(path, Map.of("version", number)).status()).isEqualTo(200);
    api.delete(path);
  }

  @Test
  void a_datatype_the_engine_cannot_take_is_unservable_before_any_native_code_runs() {
    String model = uniqueName("int16-check");
    String signature =
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"INT16\",\"shape\":[-1,2]}],"
            + "\"outputs\":[{\"name\":\"output\",\"datatype\":\"INT16\",\"shape\":[-1,2]}]}";
    int number = registerTorchScript(model, Fixtures.bytes("identity.pt"), signature);
    JsonNode version = version(model, number);
    assertThat(version.get("servable").asBoolean()).isFalse();
    assertThat(version.get("servableMessage").asString()).contains("INT16").contains("PyTorch");
  }

  private JsonNode version(String model, int number) {
    Response response = api.get("/api/v1/models/" + model + "/versions/" + number);
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json();
  }

  private double validations(String outcome) {
    return metric("modelhub_validations_total", "outcome=\"" + outcome + "\"");
  }
}
