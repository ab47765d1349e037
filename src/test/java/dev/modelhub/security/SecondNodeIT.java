package dev.modelhub.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.ServingTest;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * A second node sharing this one's database, configured the other way round: inference open to
 * callers without a key, CORS open to one origin, Actuator on a separate management port, and a
 * failure budget of five. Keys revoked on one node stop working on the other within a second.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecondNodeIT extends ServingTest {

  private static final String ORIGIN = "https://ml.example.com";

  @Autowired Environment environment;
  private ConfigurableApplicationContext node;
  private Api b;

  @BeforeAll
  void startSecondNode() {
    node =
        startNode(
            environment,
            Map.of(
                "modelhub.security.open-inference", "true",
                "modelhub.security.cors.allowed-origins", ORIGIN,
                "modelhub.security.failure-budget", "5",
                "modelhub.security.failure-refill", "1m",
                "management.server.port", "0",
                "modelhub.roles", "api,serving"));
    b = new Api(port(node), json);
  }

  @AfterAll
  void stopSecondNode() {
    node.close();
  }

  @Test
  @Order(1)
  void a_key_revoked_on_one_node_stops_working_on_the_other_within_a_second() {
    String name = uniqueName("rotating");
    String key = createKey(name, "viewer");
    Api holder = b.as(key);
    assertThat(holder.get("/api/v1/models?size=1").status()).isEqualTo(200);
    long id = api.get("/api/v1/keys").json().get("items").get(0).get("id").asLong();
    assertThat(api.get("/api/v1/keys/" + id).json().get("name").asString()).isEqualTo(name);

    long revoked = System.nanoTime();
    assertThat(api.delete("/api/v1/keys/" + id).status()).isEqualTo(204);
    await()
        .atMost(Duration.ofSeconds(1))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> holder.get("/api/v1/models?size=1").status() == 401);
    System.out.printf(
        "SecondNodeIT: revoked key refused by the other node after %d ms%n",
        (System.nanoTime() - revoked) / 1_000_000);
  }

  @Test
  @Order(2)
  void open_inference_answers_callers_without_a_key_but_not_the_rest_of_the_api() {
    Response inference = b.anonymous().get("/v2/models/" + uniqueName("nothing"));
    assertThat(inference.status()).as(inference.toString()).isEqualTo(404);
    assertThat(b.anonymous().get("/api/v1/models").status()).isEqualTo(401);
    // This node keeps the default: inference needs a key.
    assertThat(api.anonymous().get("/v2/models/" + uniqueName("nothing")).status()).isEqualTo(401);
  }

  @Test
  @Order(3)
  void cors_answers_only_the_named_origin_and_only_where_configured() {
    HttpRequest.Builder preflight =
        b.request(
                "/api/v1/models",
                "Origin",
                ORIGIN,
                "Access-Control-Request-Method",
                "GET",
                "Access-Control-Request-Headers",
                "authorization")
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody());
    Response allowed = b.send(preflight);
    assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);

    Response otherOrigin =
        b.send(
            b.request(
                    "/api/v1/models",
                    "Origin",
                    "https://evil.example.com",
                    "Access-Control-Request-Method",
                    "GET")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
    assertThat(otherOrigin.header("Access-Control-Allow-Origin")).isNull();

    Response closed =
        api.send(
            api.request("/api/v1/models", "Origin", ORIGIN, "Access-Control-Request-Method", "GET")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
    assertThat(closed.header("Access-Control-Allow-Origin")).isNull();
  }

  @Test
  @Order(4)
  void probes_and_scrapes_on_a_separate_management_port_need_no_key() {
    int management = Integer.parseInt(node.getEnvironment().getProperty("local.management.port"));
    Api operator = new Api(management, json).anonymous();
    Response prometheus = operator.get("/actuator/prometheus");
    assertThat(prometheus.status()).isEqualTo(200);
    assertThat(prometheus.text()).contains("jvm_memory_used_bytes");
    assertThat(operator.get("/actuator/health/liveness").status()).isEqualTo(200);
    // Other endpoints there still need an admin key.
    assertThat(operator.get("/actuator/metrics").status()).isEqualTo(401);
    assertThat(new Api(management, json).get("/actuator/metrics").status()).isEqualTo(200);
    assertThat(b.anonymous().get("/actuator/prometheus").status()).isIn(401, 404);
  }

  @Test
  @Order(5)
  void an_address_that_keeps_failing_is_slowed_down_whatever_key_it_sends() {
    Api guesser = b.as("mh_guessguessguessguessguessguessguessguess");
    for (int i = 0; i < 5; i++) {
      // Health paths check credentials too, so guesses there spend the budget all the same.
      String path = i % 2 == 0 ? "/api/v1/models" : "/v2/health/live";
      assertThat(guesser.get(path).status()).isIn(401, 429);
    }
    Response throttled = guesser.get("/api/v1/models");
    assertThat(throttled.status()).isEqualTo(429);
    assertThat(throttled.header("Retry-After")).isNotBlank();
    assertThat(throttled.json().get("type").asString()).endsWith("/too-many-failures");
    // A valid key from the same address gets the same answer: no oracle for guessed keys.
    assertThat(b.get("/api/v1/models").status()).isEqualTo(429);
    // Probes are never slowed down.
    assertThat(b.anonymous().get("/v2/health/live").status()).isEqualTo(200);
    assertThat(api.get("/api/v1/audit?outcome=throttled&size=1").json().get("totalItems").asInt())
        .isPositive();
  }
}
