package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Fifty swaps between two 17 MB models leave the served-version count where it was and the
 * process's native memory (resident size minus the Java heap) within 200 MB of where it settled
 * after thirty warm-up swaps (native allocators grow their arenas over the first swaps, then stay
 * flat: 500-560 MB measured from swap 30 to 130). A leak of the swapped-out model would add 50 × 17
 * MB = 850 MB.
 */
class SwapMemoryIT extends ServingTest {

  private static final long BOUND_BYTES = 200L << 20;

  @Test
  void fifty_swaps_free_what_they_load() throws Exception {
    String model = uniqueName("churn");
    // 64 → 2048 → 2048 → 10: 4.3 M parameters, 17 MB of weights each.
    int v1 = register(model, OnnxModels.mlp(1, 64, 2048, 2048, 10).toByteArray(), "a.onnx");
    int v2 = register(model, OnnxModels.mlp(2, 64, 2048, 2048, 10).toByteArray(), "b.onnx");
    promote(model, "production", v1);
    awaitServing(model, "production", v1);
    double servedBefore = gauge("modelhub_served_versions");

    swap(model, v1, v2, 30);
    long settled = nativeBytes();
    swap(model, v1, v2, 50);
    long after = nativeBytes();

    assertThat(gauge("modelhub_served_versions")).isEqualTo(servedBefore);
    long growth = after - settled;
    System.out.printf(
        "SwapMemoryIT: native memory %d MB after 30 swaps, %d MB after 50 more (%+d MB)%n",
        settled >> 20, after >> 20, growth >> 20);
    assertThat(growth).isLessThan(BOUND_BYTES);
  }

  /** Moves production back and forth {@code times} times, each time until the old one closed. */
  private void swap(String model, int v1, int v2, int times) {
    int current = servedVersion(api, model, "production");
    for (int i = 0; i < times; i++) {
      int next = current == v1 ? v2 : v1;
      promote(model, "production", next);
      awaitServing(model, "production", next);
      current = next;
      await().atMost(Duration.ofSeconds(30)).until(() -> gauge("modelhub_draining_versions") == 0);
    }
  }

  private double gauge(String name) {
    return metric(name);
  }

  /** Resident set size minus the committed Java heap: what native allocations hold. */
  private static long nativeBytes() throws IOException {
    System.gc();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
        return kb * 1024 - heap;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
