package dev.modelhub.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.optimize.OptimizationService;
import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The three roles as the Helm chart runs them: this test's own node is {@code api} only, and it
 * starts a {@code serving} node and a {@code worker} node sharing its PostgreSQL and S3. The whole
 * loop crosses them: upload on the API node, optimize on the worker, promote on the API node, infer
 * on the serving node. Runs in a JVM of its own (the {@code roles} failsafe execution), so no other
 * test's worker can take the job.
 */
@TestPropertySource(properties = "modelhub.roles=api")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoleSeparationIT extends ServingTest {

  /** The serving node keeps this alias loaded, so it loads nothing other tests promote. */
  private static final String ALIAS = "roles-live";

  @Autowired Environment environment;

  private ConfigurableApplicationContext servingNode;
  private ConfigurableApplicationContext workerNode;
  private Api serving;
  private Api worker;

  @BeforeAll
  void startNodes() {
    servingNode =
        startNode(
            environment, Map.of("modelhub.roles", "serving", "modelhub.serving.aliases", ALIAS));
    workerNode =
        startNode(
            environment,
            Map.of("modelhub.roles", "worker", "modelhub.jobs.poll-interval", "200ms"));
    serving = new Api(port(servingNode), json);
    worker = new Api(port(workerNode), json);
  }

  @AfterAll
  void stopNodes() {
    if (servingNode != null) {
      servingNode.close();
    }
    if (workerNode != null) {
      workerNode.close();
    }
  }

  @Test
  void upload_on_api_optimize_on_worker_promote_on_api_infer_on_serving() {
    String model = uniqueName("roles");
    int parent = register(model, Fixtures.bytes("digits_mlp.onnx"), "digits_mlp.onnx");
    // The API node validated the upload in an engine host of its own.
    assertThat(api.get("/api/v1/models/" + model + "/versions/" + parent).json().get("servable"))
        .hasToString("true");

    long id = optimize(model, parent, "quantize-int8-dynamic", Map.of());
    JsonNode job = awaitJob(id);
    assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
    String ranOn =
        jdbc.sql("select worker from job where id = ?").param(id).query(String.class).single();
    assertThat(ranOn)
        .as("the worker node ran the job")
        .isEqualTo(workerNode.getBean(OptimizationService.class).workerStatus().id());
    int variant = job.get("resultVersion").asInt();

    promote(model, ALIAS, variant);
    awaitServing(serving, model, ALIAS, variant, LOAD_TIMEOUT);
    float[][] inputs = DigitsReference.inputs();
    float[][] expected = DigitsReference.logits();
    for (int i = 0; i < inputs.length; i++) {
      Response answer =
          serving.sendRaw(
              "POST",
              "/v2/models/" + model + "/infer",
              "application/json",
              DigitsReference.v2Body(inputs[i]).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
      assertThat(answer.json().get("model_version").asString()).isEqualTo(String.valueOf(variant));
      assertThat(argmax(floats(answer.json().get("outputs").get(0).get("data"))))
          .as("the int8 variant classifies digit %d as the float model does", i)
          .isEqualTo(argmax(expected[i]));
    }
  }

  @Test
  void a_serving_node_that_starts_is_ready_only_once_it_serves_what_is_promoted() {
    String model = uniqueName("rollout");
    String alias = uniqueName("rollout");
    int version = register(model, Fixtures.bytes("digits_mlp.onnx"), "digits_mlp.onnx");
    promote(model, alias, version);
    // As in a rolling update: a new serving pod starts while the version is already promoted.
    try (ConfigurableApplicationContext starting =
        startNode(
            environment, Map.of("modelhub.roles", "serving", "modelhub.serving.aliases", alias))) {
      Api node = new Api(port(starting), json);
      await()
          .atMost(LOAD_TIMEOUT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> node.anonymous().get("/actuator/health/readiness").status() == 200);
      // The first moment it would get traffic, it answers (no 503 "not loaded yet").
      Response first = inferDigit(node, model);
      assertThat(first.status()).as(first.toString()).isEqualTo(200);
      assertThat(first.json().get("model_version").asString()).isEqualTo(String.valueOf(version));
    }
  }

  @Test
  void each_node_answers_only_its_roles_endpoints_and_says_where_the_others_are() {
    Response inferenceOnApi = inferDigit(api, "any-model");
    assertNotOnThisNode(inferenceOnApi, "serving");
    assertNotOnThisNode(api.get("/v1/models/any-model"), "serving");
    assertNotOnThisNode(api.get("/api/v1/serving"), "serving");
    assertNotOnThisNode(
        api.postJson(
            "/api/v1/models/any-model/predict", java.util.Map.of("rows", java.util.List.of())),
        "serving");

    assertNotOnThisNode(serving.get("/api/v1/models"), "api");
    assertNotOnThisNode(serving.get("/ui"), "api");
    assertThat(serving.get("/api/v1/serving").status()).isEqualTo(200);

    assertNotOnThisNode(worker.get("/api/v1/models"), "api");
    assertNotOnThisNode(inferDigit(worker, "any-model"), "serving");

    // A stranger learns nothing more from the wrong node than from the right one.
    assertThat(worker.anonymous().get("/api/v1/models").status()).isIn(401, 404);
  }

  @Test
  void health_shows_only_the_components_of_the_nodes_roles() {
    assertThat(components(api))
        .contains("db", "objectStorage")
        .doesNotContain("serving", "jobWorkers");
    assertThat(components(serving))
        .contains("db", "objectStorage", "serving")
        .doesNotContain("jobWorkers");
    assertThat(components(worker))
        .contains("db", "objectStorage", "jobWorkers")
        .doesNotContain("serving");
    for (Api node : List.of(api, serving, worker)) {
      Response readiness = node.anonymous().get("/actuator/health/readiness");
      assertThat(readiness.status()).as(readiness.toString()).isEqualTo(200);
    }
  }

  private static List<String> components(Api node) {
    Response health = node.get("/actuator/health");
    assertThat(health.status()).as(health.toString()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    health.json().get("components").propertyNames().forEach(names::add);
    return names;
  }

  private static void assertNotOnThisNode(Response response, String needed) {
    assertThat(response.status()).as(response.toString()).isEqualTo(404);
    JsonNode problem = response.json();
    assertThat(problem.get("type").asString()).endsWith("/role-not-on-node");
    assertThat(problem.get("detail").asString()).contains("'" + needed + "' role");
  }

  private static float[] floats(JsonNode values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) values.get(i).asDouble();
    }
    return out;
  }

  private static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
