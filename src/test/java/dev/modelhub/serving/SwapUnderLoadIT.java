package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Eight clients send requests without pause while production moves v1 → v2 → v1 … twenty times: not
 * one request fails, and once the last move is made every answer comes from the final version
 * within two seconds.
 */
class SwapUnderLoadIT extends ServingTest {

  private static final int CLIENTS = 8;
  private static final int MOVES = 20;

  /** One request as a client saw it. */
  record Call(long startNanos, long endNanos, int status, String version, String body) {}

  @Test
  void twenty_swaps_under_load_fail_no_request() throws Exception {
    String model = uniqueName("swap");
    int v1 = register(model, Fixtures.bytes("digits_mlp.onnx"), "v1.onnx");
    int v2 = register(model, OnnxModels.mlp(99, 64, 256, 128, 10).toByteArray(), "v2.onnx");
    promote(model, "production", v1);
    awaitServing(model, "production", v1);

    String body = DigitsReference.v2Body(DigitsReference.inputs()[0]);
    AtomicBoolean running = new AtomicBoolean(true);
    List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> loops = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      Api client = new Api(port, json);
      loops.add(
          clients.submit(
              () -> {
                while (running.get()) {
                  calls.add(call(client, model, body));
                }
                return null;
              }));
    }

    int finalVersion = v1;
    for (int move = 1; move <= MOVES; move++) {
      finalVersion = move % 2 == 1 ? v2 : v1;
      promote(model, "production", finalVersion);
      awaitServing(model, "production", finalVersion);
    }
    long lastMove = System.nanoTime();
    // Keep the load on for 2.5 s after the last move.
    while (System.nanoTime() - lastMove < 2_500_000_000L) {
      Thread.onSpinWait();
    }
    running.set(false);
    for (Future<?> loop : loops) {
      loop.get();
    }
    clients.shutdown();

    List<Call> failed = calls.stream().filter(c -> c.status() != 200).toList();
    assertThat(failed).as("failed requests of %d", calls.size()).isEmpty();
    long both = calls.stream().map(Call::version).distinct().count();
    assertThat(both).as("answers came from both versions").isEqualTo(2);
    String expected = Integer.toString(finalVersion);
    List<Call> staleAfterTwoSeconds =
        calls.stream()
            .filter(c -> c.startNanos() > lastMove + 2_000_000_000L)
            .filter(c -> !c.version().equals(expected))
            .toList();
    assertThat(staleAfterTwoSeconds).isEmpty();
    long afterLastMove =
        calls.stream().filter(c -> c.startNanos() > lastMove + 2_000_000_000L).count();
    assertThat(afterLastMove).isPositive();
    System.out.printf(
        "SwapUnderLoadIT: %d requests from %d clients across %d swaps, 0 failed%n",
        calls.size(), CLIENTS, MOVES);
  }

  private static Call call(Api client, String model, String body) {
    long start = System.nanoTime();
    try {
      Api.Response response =
          client.send(
              client
                  .request("/v2/models/" + model + "/infer", "Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body)));
      String version =
          response.status() == 200 ? response.json().get("model_version").asString() : "";
      return new Call(
          start,
          System.nanoTime(),
          response.status(),
          version,
          response.status() == 200 ? "" : response.text());
    } catch (RuntimeException e) {
      return new Call(start, System.nanoTime(), -1, "", e.toString());
    }
  }
}
