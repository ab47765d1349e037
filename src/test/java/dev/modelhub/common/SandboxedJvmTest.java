package dev.modelhub.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Child JVMs outlive the thread that asked for them, and see only what they are given. */
class SandboxedJvmTest {

  @TempDir Path folder;

  private final SandboxedJvm jvm =
      new SandboxedJvm(
          new SandboxedJvm.Settings(256, true, List.of(), List.of(), Map.of("LANG", "C.UTF-8")));

  @Test
  void a_child_outlives_the_thread_that_started_it() throws Exception {
    // bubblewrap's --die-with-parent is tied to the starting thread: load threads come and go.
    AtomicReference<Process> child = new AtomicReference<>();
    Thread starter =
        new Thread(
            () -> {
              try {
                Process process = start("waiting");
                // The thread ends only once the child runs (and has set up its sandbox).
                new BufferedReader(new InputStreamReader(process.getInputStream())).readLine();
                child.set(process);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    starter.start();
    starter.join();
    Process process = child.get();
    try {
      await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(process::isAlive);
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void a_sandboxed_child_cannot_write_outside_its_folder_or_see_the_nodes() throws Exception {
    assumeThat(jvm.sandboxed()).as("bubblewrap installed and usable").isTrue();
    Path nodeFile = Files.writeString(Path.of("target", "sandbox-probe.txt"), "node");
    Process process = start("probe", nodeFile.toAbsolutePath().toString());
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor()).as(output).isZero();
    assertThat(output)
        .contains("own folder: writable")
        .contains("node file: hidden")
        .contains("/usr: read-only");
  }

  private Process start(String... args) throws Exception {
    Path work = Files.createTempDirectory(folder, "child-");
    return jvm.start(Probe.class.getName(), work, 64, List.of(), List.of(args), List.of());
  }

  /** The child: waits for its standard input to end, or probes what it can reach. */
  public static final class Probe {
    public static void main(String[] args) throws Exception {
      if (args[0].equals("waiting")) {
        System.out.println("waiting");
        System.out.flush();
        while (System.in.read() >= 0) {
          // until the test ends it
        }
        return;
      }
      Path own = Path.of(System.getProperty("java.io.tmpdir"), "x");
      Files.writeString(own, "x");
      System.out.println("own folder: writable");
      System.out.println("node file: " + (Files.exists(Path.of(args[1])) ? "visible" : "hidden"));
      try {
        Files.writeString(Path.of("/usr/modelhub-probe"), "x");
        System.out.println("/usr: writable");
      } catch (IOException e) {
        System.out.println("/usr: read-only");
      }
    }
  }
}
