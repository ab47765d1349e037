package dev.modelhub.common;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime's telemetry runs a regular expression over the process command line; with a long one
 * (an IDE's or {@code spring-boot:run}'s {@code -cp}) the JVM died with SIGSEGV at the first model
 * load, without a crash report. A child JVM with a 40,000-character command line must create the
 * environment and exit normally.
 */
class NativeEnvironmentTest {

  @Test
  void onnxRuntimeStartsUnderALongCommandLine() throws Exception {
    String padding = (File.pathSeparator + "/no/such/folder").repeat(2_700);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path") + padding);
    command.add(Probe.class.getName());
    assertThat(String.join(" ", command)).hasSizeGreaterThan(40_000);

    Process child =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(child.exitValue()).as(output).isZero();
    assertThat(output).contains("onnxruntime ");
  }

  /** The child: what every engine user does first, then ONNX Runtime's environment. */
  public static final class Probe {
    public static void main(String[] args) {
      NativeEnvironment.prepare();
      System.out.println("onnxruntime " + OrtEnvironment.getEnvironment().getVersion());
    }
  }
}
