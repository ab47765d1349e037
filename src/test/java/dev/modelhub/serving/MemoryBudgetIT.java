package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.StreamedOnnxModel;
import java.net.http.HttpRequest;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;

/**
 * A node with a memory budget refuses, before loading, a version that would not fit it — with the
 * numbers — and keeps serving the version it has; each loaded version's load time and resident
 * memory are in its metrics.
 */
class MemoryBudgetIT extends ServingTest {

  /**
   * Served by the budgeted node only: the database is shared with other tests, whose promoted
   * versions would otherwise take the node's small budget.
   */
  private static final String ALIAS = "budgeted";

  @Autowired Environment environment;

  @Test
  void a_version_over_the_budget_is_refused_before_loading_and_the_old_one_keeps_serving() {
    String model = uniqueName("budget");
    int small = register(model, Fixtures.bytes("digits_mlp.onnx"), "small.onnx");
    StreamedOnnxModel large = new StreamedOnnxModel(12L << 20); // 48 MiB of weights
    Response created =
        api.send(
            api.request(
                    "/api/v1/models/" + model + "/versions?filename=large.onnx",
                    "Content-Type",
                    "application/octet-stream")
                .POST(
                    HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> large), large.size())));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    int big = created.json().get("version").asInt();
    try (ConfigurableApplicationContext node =
        startNode(
            environment,
            Map.of(
                "modelhub.serving.memory-budget",
                "32MB",
                "modelhub.serving.aliases",
                ALIAS,
                "modelhub.serving.isolation",
                "engine",
                "modelhub.roles",
                "api,serving"))) {
      Api budgeted = new Api(port(node), json);
      promote(model, ALIAS, small);
      awaitServing(budgeted, model, ALIAS, small, LOAD_TIMEOUT);

      promote(model, ALIAS, big);
      await()
          .atMost(LOAD_TIMEOUT)
          .until(
              () -> slot(budgeted, model, ALIAS).map(s -> s.get("state").asString()),
              state -> state.orElse("").equals("FAILED"));
      JsonNode slot = slot(budgeted, model, ALIAS).orElseThrow();
      assertThat(slot.get("version").asInt()).isEqualTo(small);
      assertThat(slot.get("lastError").asString())
          .containsPattern(model + " v" + big + " needs about 4[89] MB of memory to load")
          .contains("budget is 32 MB (modelhub.serving.memory-budget)");
      Response answer = inferDigit(budgeted, model + "/versions/" + small);
      assertThat(answer.status()).as(answer.toString()).isEqualTo(200);

      String metrics = budgeted.get("/actuator/prometheus").text();
      assertThat(
              metrics
                  .lines()
                  .filter(l -> l.startsWith("modelhub_serving_memory_budget_bytes "))
                  .map(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))))
          .containsExactly(32.0 * (1 << 20));
      assertThat(metrics)
          .containsPattern(
              "modelhub_model_load_seconds\\{model=\"" + model + "\",version=\"" + small + "\"\\}")
          .containsPattern(
              "modelhub_model_resident_bytes\\{model=\""
                  + model
                  + "\",version=\""
                  + small
                  + "\"\\}")
          // The refused version never loaded: it has no gauges.
          .doesNotContain("version=\"" + big + "\"} ");
    } finally {
      api.delete("/api/v1/models/" + model + "/aliases/" + ALIAS);
    }
  }
}
