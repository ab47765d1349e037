package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Api;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * Two more application instances on their own ports share this one's PostgreSQL and S3. A move made
 * through this node reaches the others by NOTIFY within two seconds; a node that does not listen
 * catches up through its periodic reconcile.
 */
class TwoNodeIT extends ServingTest {

  @Autowired Environment environment;

  @Test
  void a_move_on_node_a_is_served_by_node_b_within_two_seconds() {
    String model = uniqueName("cluster");
    int v1 = register(model, Fixtures.bytes("digits_mlp.onnx"), "v1.onnx");
    int v2 = register(model, OnnxModels.mlp(7, 64, 256, 128, 10).toByteArray(), "v2.onnx");
    promote(model, "production", v1);
    awaitServing(model, "production", v1);

    try (ConfigurableApplicationContext nodeB = startNode(true, Duration.ofSeconds(60))) {
      Api b = new Api(port(nodeB), json);
      awaitServing(b, model, "production", v1, LOAD_TIMEOUT);

      long moved = System.nanoTime();
      promote(model, "production", v2);
      // The notification reaches node B within two seconds; the load (an engine host's start)
      // follows.
      await()
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () ->
                  slot(b, model, "production")
                      .map(s -> s.get("desiredVersion").asInt() == v2)
                      .orElse(false));
      long noticedMillis = (System.nanoTime() - moved) / 1_000_000;
      awaitServing(b, model, "production", v2, LOAD_TIMEOUT);
      long elapsedMillis = (System.nanoTime() - moved) / 1_000_000;

      assertThat(infer(b, model)).isEqualTo(Integer.toString(v2));
      System.out.printf(
          "TwoNodeIT: node B knew of the move after %d ms and served the new version after %d ms%n",
          noticedMillis, elapsedMillis);
    }
  }

  @Test
  void a_node_without_notifications_catches_up_through_the_periodic_reconcile() {
    String model = uniqueName("quiet");
    int v1 = register(model, Fixtures.bytes("digits_mlp.onnx"), "v1.onnx");
    int v2 = register(model, OnnxModels.mlp(8, 64, 256, 128, 10).toByteArray(), "v2.onnx");
    promote(model, "production", v1);

    try (ConfigurableApplicationContext nodeC = startNode(false, Duration.ofSeconds(1))) {
      Api c = new Api(port(nodeC), json);
      awaitServing(c, model, "production", v1, LOAD_TIMEOUT);

      long moved = System.nanoTime();
      promote(model, "production", v2);
      // One reconcile interval (1 s) plus a load, which starts an engine host.
      awaitServing(c, model, "production", v2, Duration.ofSeconds(10));
      long elapsedMillis = (System.nanoTime() - moved) / 1_000_000;

      assertThat(infer(c, model)).isEqualTo(Integer.toString(v2));
      System.out.printf(
          "TwoNodeIT: node C (no LISTEN) caught up %d ms after the move%n", elapsedMillis);
    }
  }

  private ConfigurableApplicationContext startNode(boolean notifications, Duration reconcile) {
    return startNode(
        environment,
        Map.of(
            "modelhub.serving.notifications",
            Boolean.toString(notifications),
            "modelhub.serving.reconcile-interval",
            reconcile.toMillis() + "ms"));
  }

  private static String infer(Api node, String model) {
    return inferDigit(node, model).json().get("model_version").asString();
  }
}
