package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** One predictor and a queue of one: a third concurrent request is answered 429 at once. */
@TestPropertySource(
    properties = {"modelhub.serving.predictors=1", "modelhub.serving.queue-capacity=1"})
class QueueFullIT extends ServingTest {

  private static final int WIDTH = 256;

  @Test
  void requests_beyond_predictors_plus_queue_are_answered_429() throws Exception {
    String model = uniqueName("queue");
    promote(
        model,
        "production",
        register(model, OnnxModels.slowIdentity(WIDTH, 1500).toByteArray(), "slow.onnx"));
    awaitServing(model, "production", 1);
    Map<String, Object> body =
        v2Body("input", "FP32", List.of(WIDTH, WIDTH), Collections.nCopies(WIDTH * WIDTH, 1.0));

    CompletableFuture<Response> running =
        CompletableFuture.supplyAsync(() -> new Api(port, json).postJson(v2(model), body));
    CompletableFuture<Response> queued =
        CompletableFuture.supplyAsync(() -> new Api(port, json).postJson(v2(model), body));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> admitted(model) == 2);

    // A one-row request: admission does not depend on size.
    Response rejected =
        api.postJson(
            v2(model), v2Body("input", "FP32", List.of(1, WIDTH), Collections.nCopies(WIDTH, 1.0)));

    assertThat(rejected.status()).as(rejected.toString()).isEqualTo(429);
    assertThat(rejected.json().get("type").asString()).endsWith("/queue-full");
    assertThat(rejected.json().get("detail").asString()).contains("2 requests running or queued");
    assertThat(running.get().status()).isEqualTo(200);
    assertThat(queued.get().status()).isEqualTo(200);
    assertThat(admitted(model)).isZero();
  }

  private static String v2(String model) {
    return "/v2/models/" + model + "/infer";
  }

  private double admitted(String model) {
    return metric("modelhub_inference_admitted", "model=\"" + model + "\"");
  }
}
