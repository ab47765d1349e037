package dev.modelhub.common;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Environment variables the native engines read from the process environment, which Java cannot
 * change; they are set natively, once, before any engine starts (an operator's own value wins).
 *
 * <ul>
 *   <li>{@code ORT_DISABLE_TELEMETRY=1}: ONNX Runtime's telemetry runs regular expressions over the
 *       process command line when its environment is created; libstdc++'s regex recurses per
 *       character, so a JVM started with a long {@code -cp} (as {@code ./mvnw spring-boot:run} and
 *       IDEs do) overflows the stack and dies without a crash report. An air-gapped platform sends
 *       no telemetry anyway.
 *   <li>{@code TF_CPP_MIN_LOG_LEVEL=3}: TensorFlow's C++ code logs every load to stderr (and, in
 *       the CPU build, a harmless cuBLAS registration "error"). Real failures still reach us as
 *       statuses, which DJL turns into exceptions.
 * </ul>
 *
 * <p>{@code setenv} is not thread-safe against a concurrent {@code getenv}, so {@link #prepare()}
 * runs first thing in {@code main}, and again (a no-op then) before each engine use for callers
 * that do not start through {@code main}, such as tests.
 */
public final class NativeEnvironment {

  private static final Logger log = LoggerFactory.getLogger(NativeEnvironment.class);

  private static boolean prepared;

  private NativeEnvironment() {}

  public static synchronized void prepare() {
    if (prepared) {
      return;
    }
    setDefault("ORT_DISABLE_TELEMETRY", "1");
    setDefault("TF_CPP_MIN_LOG_LEVEL", "3");
    prepared = true;
  }

  private static void setDefault(String name, String value) {
    if (System.getenv(name) != null) {
      return;
    }
    try {
      CLibrary.INSTANCE.setenv(name, value, 0);
    } catch (UnsatisfiedLinkError e) {
      log.warn("Cannot set {} for the native engines: {}", name, e.getMessage());
    }
  }

  private interface CLibrary extends Library {
    CLibrary INSTANCE = Native.load("c", CLibrary.class);

    int setenv(String name, String value, int overwrite);
  }
}
