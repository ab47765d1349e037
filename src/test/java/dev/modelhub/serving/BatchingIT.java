package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Dynamic batching, declared with a version: concurrent requests are answered from shared engine
 * calls with their own rows, a request alone leaves after its delay, and swaps fail nothing.
 */
class BatchingIT extends ServingTest {

  private int uploadBatched(String model, long delayMicros) {
    Response created =
        api.uploadMultipart(
            model,
            Fixtures.bytes("digits_mlp.onnx"),
            "m.onnx",
            "{\"batching\":{\"maxBatchSize\":16,\"maxQueueDelayMicros\":"
                + delayMicros
                + ",\"preferredBatchSizes\":[8]}}");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("batching").get("maxBatchSize").asInt()).isEqualTo(16);
    return created.json().get("version").asInt();
  }

  @Test
  void concurrent_requests_share_engine_calls_and_get_their_own_rows() throws Exception {
    String model = uniqueName("batched");
    promote(model, "production", uploadBatched(model, 20_000));
    awaitServing(model, "production", 1);
    JsonNode metadata = api.get("/v2/models/" + model).json();
    assertThat(metadata.get("batching").get("maxQueueDelayMicros").asLong()).isEqualTo(20_000);

    float[][] digits = DigitsReference.inputs();
    float[][] logits = DigitsReference.logits();
    int clients = 32;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      for (int round = 0; round < 3; round++) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Response>> answers = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
          float[] digit = digits[i % digits.length];
          answers.add(
              pool.submit(
                  () -> {
                    start.await();
                    return api.postJson(
                        "/v2/models/" + model + "/infer",
                        v2Body("input", "FP32", List.of(1, 64), digit));
                  }));
        }
        start.countDown();
        for (int i = 0; i < clients; i++) {
          Response answer = answers.get(i).get();
          assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
          JsonNode data = answer.json().get("outputs").get(0).get("data");
          float[] expected = logits[i % digits.length];
          assertThat(data).hasSize(expected.length);
          for (int k = 0; k < expected.length; k++) {
            // Each request its own row: the logits of its own digit, not a neighbour's.
            assertThat(data.get(k).floatValue())
                .isCloseTo(expected[k], org.assertj.core.data.Offset.offset(1e-4f));
          }
        }
      }
    } finally {
      pool.shutdownNow();
    }
    String labels = "model=\"" + model + "\"";
    assertThat(metric("modelhub_inference_batch_size_max", labels)).isGreaterThan(1);
    assertThat(metric("modelhub_inference_batch_size_count", labels)).isLessThan(3 * clients);
    assertThat(metric("modelhub_inference_queue_delay_seconds_count", labels))
        .isEqualTo(3 * clients);
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  @Test
  void a_request_alone_leaves_after_its_delay_and_swaps_fail_no_request() throws Exception {
    String model = uniqueName("batched-swap");
    promote(model, "production", uploadBatched(model, 300_000));
    awaitServing(model, "production", 1);
    Response alone = inferDigit(api, model);
    assertThat(alone.status()).as(alone.toString()).isEqualTo(200);
    String labels = "model=\"" + model + "\"";
    double waited = metric("modelhub_inference_queue_delay_seconds_max", labels);
    assertThat(waited)
        .as("a lone request waits its delay for company, and no longer")
        .isBetween(0.29, 0.8);

    int v2 = uploadBatched(model, 2_000);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int i = 0; i < 8; i++) {
        pool.submit(
            () -> {
              while (running.get()) {
                Response answer = inferDigit(api, model);
                if (answer.status() == 200) {
                  ok.incrementAndGet();
                } else {
                  failed.add(answer.toString());
                }
              }
            });
      }
      promote(model, "production", v2);
      awaitServing(model, "production", v2);
      Response after = inferDigit(api, model);
      assertThat(after.json().get("model_version").asString()).isEqualTo(Integer.toString(v2));
    } finally {
      running.set(false);
      pool.shutdown();
      pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
    }
    System.out.printf(
        "BatchingIT: %d requests during the swap, %d failed%n", ok.get(), failed.size());
    assertThat(failed).isEmpty();
    assertThat(ok.get()).isPositive();
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  @Test
  void batching_a_model_without_a_dynamic_first_dimension_is_a_400() {
    Response refused =
        api.uploadMultipart(
            uniqueName("unbatchable"),
            Fixtures.bytes("digits_mlp.pt"),
            "model.pt",
            "{\"signature\":{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,64]}],"
                + "\"outputs\":[{\"name\":\"logits\",\"datatype\":\"FP32\",\"shape\":[1,10]}]},"
                + "\"batching\":{\"maxBatchSize\":8,\"maxQueueDelayMicros\":500}}");
    assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
    assertThat(refused.json().get("detail").asString())
        .contains("'input'", "dynamic first dimension");
    Response invalid =
        api.uploadMultipart(
            uniqueName("unbatchable"),
            Fixtures.bytes("digits_mlp.onnx"),
            "m.onnx",
            "{\"batching\":{\"maxBatchSize\":8,\"maxQueueDelayMicros\":500,\"preferredBatchSizes\":[16]}}");
    assertThat(invalid.status()).as(invalid.toString()).isEqualTo(400);
    assertThat(invalid.json().get("detail").asString()).contains("preferredBatchSizes");
  }
}
