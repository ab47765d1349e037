package dev.modelhub.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.security.internal.AccessInterceptor;
import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.OnnxModels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;

/**
 * The audit trail: every mutating endpoint, called once, leaves exactly one event for its request
 * with the caller as actor; a refused call leaves a refusal; a change that rolls back leaves none.
 */
class AuditIT extends IntegrationTest {

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  @Autowired AuditLog audit;
  @Autowired TransactionTemplate transactions;

  /** A successful call of one mutating endpoint, and the action it must record. */
  record Scenario(String action, Function<Api, Response> call) {}

  @Test
  void each_mutating_endpoint_leaves_exactly_one_event_with_its_caller() {
    String model = uniqueName("audited");
    String doomed = uniqueName("doomed");
    assertThat(api.upload(model, OnnxModels.mlp(31, 8, 4).toByteArray(), null).status())
        .isEqualTo(201);
    assertThat(api.upload(model, OnnxModels.mlp(32, 8, 4).toByteArray(), null).status())
        .isEqualTo(201);
    String base = "/api/v1/models/" + model;
    long revocable = keyId(createKey(uniqueName("to-revoke"), "viewer"));
    // A queued job no worker will reach soon, so that cancelling it is not a race with the worker.
    long waiting =
        jdbc.sql(
                "insert into job (kind, model_name, version, pass, params, status, max_attempts,"
                    + " next_run_at, created_at, created_by, message) values ('optimize', ?, 1,"
                    + " 'convert-fp16', '{}'::jsonb, 'QUEUED', 1, now() + interval '1 day', now(),"
                    + " 'test', 'queued') returning id")
            .param(model)
            .query(Long.class)
            .single();

    Map<String, Scenario> scenarios = new LinkedHashMap<>();
    scenarios.put(
        "POST /api/v1/models",
        new Scenario("model.create", a -> a.postJson("/api/v1/models", Map.of("name", doomed))));
    scenarios.put(
        "PATCH /api/v1/models/{name}",
        new Scenario("model.update", a -> a.patchJson(base, Map.of("description", "audited"))));
    scenarios.put(
        "POST /api/v1/models/{name}/versions",
        new Scenario(
            "version.create", a -> a.upload(model, OnnxModels.mlp(33, 8, 4).toByteArray(), null)));
    scenarios.put(
        "PATCH /api/v1/models/{name}/versions/{version}",
        new Scenario(
            "version.update",
            a -> a.patchJson(base + "/versions/1", Map.of("tags", Map.of("a", "b")))));
    scenarios.put(
        "PUT /api/v1/models/{name}/versions/{version}/pipeline",
        new Scenario(
            "version.pipeline.set",
            a ->
                a.putJson(
                    base + "/versions/1/pipeline",
                    Map.of("postprocess", List.of(Map.of("type", "softmax"))))));
    scenarios.put(
        "DELETE /api/v1/models/{name}/versions/{version}/pipeline",
        new Scenario("version.pipeline.remove", a -> a.delete(base + "/versions/1/pipeline")));
    scenarios.put(
        "PUT /api/v1/models/{name}/aliases/{alias}",
        new Scenario(
            "alias.move", a -> a.putJson(base + "/aliases/staging", Map.of("version", 1))));
    scenarios.put(
        "DELETE /api/v1/models/{name}/aliases/{alias}",
        new Scenario("alias.delete", a -> a.delete(base + "/aliases/staging")));
    scenarios.put(
        "DELETE /api/v1/models/{name}/versions/{version}",
        new Scenario("version.archive", a -> a.delete(base + "/versions/3")));
    scenarios.put(
        "POST /api/v1/models/{name}/datasets",
        new Scenario(
            "dataset.create",
            a ->
                a.sendRaw(
                    "POST",
                    base + "/datasets?name=tiny",
                    "text/csv",
                    "a,b,c,d,e,f,g,h\n1,2,3,4,5,6,7,8\n".getBytes())));
    scenarios.put(
        "POST /api/v1/models/{name}/versions/{version}/optimizations",
        new Scenario(
            "job.submit",
            a ->
                a.postJson(
                    base + "/versions/1/optimizations",
                    Map.of("pass", "convert-fp16", "params", Map.of()))));
    scenarios.put(
        "POST /api/v1/jobs/{id}/cancel",
        new Scenario("job.cancel", a -> a.postJson("/api/v1/jobs/" + waiting + "/cancel", "")));
    scenarios.put(
        "DELETE /api/v1/models/{name}",
        new Scenario("model.delete", a -> a.delete("/api/v1/models/" + doomed)));
    scenarios.put(
        "POST /api/v1/keys",
        new Scenario(
            "key.create",
            a -> a.postJson("/api/v1/keys", Map.of("name", uniqueName("made"), "role", "viewer"))));
    scenarios.put(
        "DELETE /api/v1/keys/{id}",
        new Scenario("key.revoke", a -> a.delete("/api/v1/keys/" + revocable)));

    assertThat(scenarios.keySet())
        .as("a scenario for every mutating endpoint")
        .containsExactlyInAnyOrderElementsOf(mutatingEndpoints());

    List<String> failures = new ArrayList<>();
    scenarios.forEach(
        (endpoint, scenario) -> {
          String actor = uniqueName("actor");
          Api caller = api.as(createKey(actor, "admin"));
          Response response = scenario.call().apply(caller);
          if (response.status() >= 300) {
            failures.add(endpoint + " answered " + response);
            return;
          }
          List<JsonNode> events = eventsOf(response.header("X-Request-Id"));
          if (events.size() != 1
              || !events.get(0).get("actor").asString().equals(actor)
              || !events.get(0).get("action").asString().equals(scenario.action())
              || !events.get(0).get("outcome").asString().equals("success")) {
            failures.add(endpoint + " left " + events);
          }
        });
    assertThat(failures).isEmpty();
  }

  @Test
  void a_refused_call_leaves_a_refusal_event_and_a_failed_change_leaves_no_success() {
    String model = uniqueName("refused");
    assertThat(api.upload(model, OnnxModels.mlp(34, 8, 4).toByteArray(), null).status())
        .isEqualTo(201);
    String viewer = uniqueName("viewer");
    Response refused =
        api.as(createKey(viewer, "viewer"))
            .putJson("/api/v1/models/" + model + "/aliases/production", Map.of("version", 1));
    assertThat(refused.status()).isEqualTo(403);
    List<JsonNode> events = eventsOf(refused.header("X-Request-Id"));
    assertThat(events).hasSize(1);
    assertThat(events.get(0).get("outcome").asString()).isEqualTo("denied");
    assertThat(events.get(0).get("actor").asString()).isEqualTo(viewer);
    assertThat(events.get(0).get("model").asString()).isEqualTo(model);
    assertThat(events.get(0).get("action").asString())
        .isEqualTo("PUT /api/v1/models/{name}/aliases/{alias}");

    Response anonymous = api.anonymous().delete("/api/v1/models/" + model);
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(eventsOf(anonymous.header("X-Request-Id")))
        .singleElement()
        .satisfies(e -> assertThat(e.get("outcome").asString()).isEqualTo("unauthenticated"));

    // A change refused by the registry (version 9 does not exist) commits nothing, no event.
    Response failed =
        api.putJson("/api/v1/models/" + model + "/aliases/production", Map.of("version", 9));
    assertThat(failed.status()).isEqualTo(404);
    assertThat(eventsOf(failed.header("X-Request-Id"))).isEmpty();
  }

  @Test
  void an_event_recorded_in_a_transaction_that_rolls_back_is_gone() {
    String model = uniqueName("rolled-back");
    transactions.executeWithoutResult(
        status -> {
          audit.record(Caller.system("test"), AuditEntry.of("model.create").withModel(model));
          status.setRollbackOnly();
        });
    assertThat(api.get("/api/v1/audit?model=" + model).json().get("totalItems").asInt()).isZero();
  }

  @Test
  void the_audit_trail_filters_by_model_actor_action_and_time() {
    String model = uniqueName("filtered");
    String actor = uniqueName("filterer");
    Api caller = api.as(createKey(actor, "publisher"));
    assertThat(caller.postJson("/api/v1/models", Map.of("name", model)).status()).isEqualTo(201);
    assertThat(caller.patchJson("/api/v1/models/" + model, Map.of("description", "x")).status())
        .isEqualTo(200);
    JsonNode byActor = api.get("/api/v1/audit?actor=" + actor).json();
    assertThat(byActor.get("totalItems").asInt()).isEqualTo(2);
    assertThat(byActor.get("items").get(0).get("action").asString()).isEqualTo("model.update");
    JsonNode byAction = api.get("/api/v1/audit?model=" + model + "&action=model.create").json();
    assertThat(byAction.get("totalItems").asInt()).isEqualTo(1);
    JsonNode future =
        api.get("/api/v1/audit?model=" + model + "&since=2999-01-01T00:00:00Z").json();
    assertThat(future.get("totalItems").asInt()).isZero();
  }

  private List<JsonNode> eventsOf(String requestId) {
    assertThat(requestId).isNotBlank();
    List<JsonNode> events = new ArrayList<>();
    api.get("/api/v1/audit?requestId=" + requestId).json().get("items").forEach(events::add);
    return events;
  }

  private Set<String> mutatingEndpoints() {
    Set<String> found = new TreeSet<>();
    mappings
        .getHandlerMethods()
        .forEach(
            (info, handler) -> {
              if (!AccessInterceptor.isModelhub(handler)) {
                return;
              }
              for (RequestMethod method : info.getMethodsCondition().getMethods()) {
                if (method == RequestMethod.GET) {
                  continue;
                }
                for (String pattern : info.getPatternValues()) {
                  if (pattern.startsWith("/api/")) {
                    found.add(method.name() + " " + pattern);
                  }
                }
              }
            });
    return found;
  }
}
