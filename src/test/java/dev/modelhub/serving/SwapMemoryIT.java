package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Thirty swaps between two 17 MB models leave the served-version count and the number of engine
 * hosts where they were, and the native memory of the node and its hosts (the node's resident size
 * minus its Java heap, plus each host's resident size) within 200 MB of where it settled after ten
 * warm-up swaps. A leaked host would add about 120 MB each (30 × that in all); a leak of the
 * swapped-out model in-process (isolation none) 30 × 17 MB = 510 MB.
 */
class SwapMemoryIT extends ServingTest {

  private static final long BOUND_BYTES = 200L << 20;

  @Test
  void thirty_swaps_free_what_they_load() throws Exception {
    String model = uniqueName("churn");
    // 64 → 2048 → 2048 → 10: 4.3 M parameters, 17 MB of weights each.
    int v1 = register(model, OnnxModels.mlp(1, 64, 2048, 2048, 10).toByteArray(), "a.onnx");
    int v2 = register(model, OnnxModels.mlp(2, 64, 2048, 2048, 10).toByteArray(), "b.onnx");
    promote(model, "production", v1);
    awaitServing(model, "production", v1);
    double servedBefore = gauge("modelhub_served_versions");

    long hostsBefore = hosts().count();
    swap(model, v1, v2, 10);
    long settled = nativeBytes();
    swap(model, v1, v2, 30);
    long after = nativeBytes();

    assertThat(gauge("modelhub_served_versions")).isEqualTo(servedBefore);
    // Each swapped-out version's engine host has exited: none is left behind.
    await().atMost(Duration.ofSeconds(10)).until(() -> hosts().count() == hostsBefore);
    long growth = after - settled;
    System.out.printf(
        "SwapMemoryIT: native memory of the node and its engine hosts %d MB after 10 swaps,"
            + " %d MB after 30 more (%+d MB), %d hosts before and after%n",
        settled >> 20, after >> 20, growth >> 20, hostsBefore);
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

  /** This JVM's live child processes (engine hosts, and the sandboxes around them). */
  private static Stream<ProcessHandle> hosts() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive);
  }

  /**
   * Resident set size minus the committed Java heap (what native allocations hold), plus the whole
   * resident size of every engine host: a version's memory lives in one or the other.
   */
  private static long nativeBytes() throws IOException {
    System.gc();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
    long total = rss("self") - heap;
    for (ProcessHandle host : hosts().toList()) {
      total += rss(Long.toString(host.pid()));
    }
    return total;
  }

  private static long rss(String pid) throws IOException {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (NoSuchFileException gone) {
      return 0; // a host that exited while being counted
    }
    return 0;
  }
}
