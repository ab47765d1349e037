package dev.modelhub.benchmark;

import dev.modelhub.support.TestSecrets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/** Runs a call from N threads for a fixed time and summarizes throughput and latency. */
final class LoadGenerator {

  /** One measured run. */
  record Result(long calls, long failures, double seconds, long[] latenciesNanos) {

    double throughput() {
      return calls / seconds;
    }

    double percentileMillis(double p) {
      if (latenciesNanos.length == 0) {
        return Double.NaN;
      }
      int index =
          (int) Math.min(latenciesNanos.length - 1, Math.ceil(p / 100 * latenciesNanos.length) - 1);
      return latenciesNanos[Math.max(0, index)] / 1e6;
    }
  }

  /** A call returning true on success. */
  interface Call extends Callable<Boolean> {}

  private LoadGenerator() {}

  static Result run(int threads, double seconds, Supplier<Call> perThread) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicBoolean running = new AtomicBoolean(true);
    List<Future<long[]>> results = new ArrayList<>();
    long[] failures = new long[threads];
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Call call = perThread.get();
      results.add(
          pool.submit(
              () -> {
                long[] latencies = new long[1 << 16];
                int n = 0;
                while (running.get()) {
                  long start = System.nanoTime();
                  boolean ok;
                  try {
                    ok = call.call();
                  } catch (Exception e) {
                    ok = false;
                  }
                  long took = System.nanoTime() - start;
                  if (!ok) {
                    failures[thread]++;
                  }
                  if (n == latencies.length) {
                    latencies = Arrays.copyOf(latencies, n * 2);
                  }
                  latencies[n++] = took;
                }
                return Arrays.copyOf(latencies, n);
              }));
    }
    long begin = System.nanoTime();
    Thread.sleep((long) (seconds * 1000));
    running.set(false);
    List<long[]> all = new ArrayList<>();
    for (Future<long[]> result : results) {
      all.add(result.get());
    }
    double elapsed = (System.nanoTime() - begin) / 1e9;
    pool.shutdown();
    long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    return new Result(merged.length, Arrays.stream(failures).sum(), elapsed, merged);
  }

  /** One authenticated v2 inference call to a node on {@code port}. */
  static Call v2(int port, String model, String body) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/v2/models/" + model + "/infer"))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + TestSecrets.adminKey())
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return () -> client.send(request, HttpResponse.BodyHandlers.ofByteArray()).statusCode() == 200;
  }
}
