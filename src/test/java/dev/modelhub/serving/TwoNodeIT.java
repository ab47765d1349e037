package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.ModelhubApplication;
import dev.modelhub.support.Api;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestInfrastructure;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
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
      awaitServing(b, model, "production", v2, Duration.ofSeconds(2));
      long elapsedMillis = (System.nanoTime() - moved) / 1_000_000;

      assertThat(infer(b, model)).isEqualTo(Integer.toString(v2));
      System.out.printf(
          "TwoNodeIT: node B served the new version %d ms after the move%n", elapsedMillis);
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
      // One reconcile interval (1 s) plus a load.
      awaitServing(c, model, "production", v2, Duration.ofSeconds(5));
      long elapsedMillis = (System.nanoTime() - moved) / 1_000_000;

      assertThat(infer(c, model)).isEqualTo(Integer.toString(v2));
      System.out.printf(
          "TwoNodeIT: node C (no LISTEN) caught up %d ms after the move%n", elapsedMillis);
    }
  }

  private ConfigurableApplicationContext startNode(boolean notifications, Duration reconcile) {
    Map<String, Object> properties = new HashMap<>();
    properties.put("server.port", "0");
    properties.put("spring.datasource.url", environment.getProperty("spring.datasource.url"));
    properties.put(
        "spring.datasource.username", environment.getProperty("spring.datasource.username"));
    properties.put(
        "spring.datasource.password", environment.getProperty("spring.datasource.password"));
    properties.put("modelhub.storage.endpoint", objectStorage.endpoint());
    properties.put("modelhub.storage.access-key", storageProperties.accessKey());
    properties.put("modelhub.storage.secret-key", storageProperties.secretKey());
    properties.put("modelhub.storage.bucket", storageProperties.bucket());
    properties.put(
        "modelhub.storage.spool-dir", TestInfrastructure.newScratchDir("node-spool").toString());
    properties.put(
        "modelhub.serving.cache.dir", TestInfrastructure.newScratchDir("node-cache").toString());
    properties.put("modelhub.serving.engine-cache-dir", "target/engines");
    properties.put("modelhub.serving.notifications", Boolean.toString(notifications));
    properties.put("modelhub.serving.reconcile-interval", reconcile.toMillis() + "ms");
    properties.put("modelhub.serving.warmup-requests", "1");
    // As command-line arguments: builder "properties" are defaults that application.yml overrides.
    String[] args =
        properties.entrySet().stream()
            .map(e -> "--" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    return new SpringApplicationBuilder(ModelhubApplication.class).run(args);
  }

  private static int port(ConfigurableApplicationContext node) {
    return Integer.parseInt(node.getEnvironment().getProperty("local.server.port"));
  }

  private static String infer(Api node, String model) {
    return inferDigit(node, model).json().get("model_version").asString();
  }
}
