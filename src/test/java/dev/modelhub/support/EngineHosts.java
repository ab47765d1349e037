package dev.modelhub.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

/** Finds the engine host processes this JVM started, from the spec file in each host's folder. */
public final class EngineHosts {

  private EngineHosts() {}

  /** The live engine host of {@code model} v{@code version}: found by its folder's spec file. */
  public static ProcessHandle of(String model, int version) {
    return ProcessHandle.current()
        .descendants()
        .filter(ProcessHandle::isAlive)
        // the JVM itself, not the bubblewrap or prlimit process around it
        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
        .filter(p -> spec(p).contains("name=" + model + " v" + version + "\n"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no engine host for " + model + " v" + version));
  }

  /**
   * Every live engine host of {@code model} v{@code version}: each serving application context of
   * the test run (they share one database) runs its own.
   */
  public static List<ProcessHandle> all(String model, int version) {
    return named(model + " v" + version);
  }

  /** The live engine hosts named {@code name} in their spec ("OnnxRuntime engine"). */
  public static List<ProcessHandle> named(String name) {
    return ProcessHandle.current()
        .descendants()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
        .filter(p -> spec(p).contains("name=" + name + "\n"))
        .toList();
  }

  /** The spec file of a host process (its properties, sorted), or empty. */
  public static String spec(ProcessHandle process) {
    String[] args = process.info().arguments().orElse(new String[0]);
    return Arrays.stream(args)
        .filter(a -> a.startsWith("@") && a.endsWith("java.args"))
        .map(a -> Path.of(a.substring(1)).resolveSibling("host.properties"))
        .filter(Files::isRegularFile)
        .map(EngineHosts::read)
        .collect(Collectors.joining());
  }

  private static String read(Path file) {
    try {
      Properties p = new Properties();
      try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(in);
      }
      return p.entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue() + "\n")
          .sorted()
          .collect(Collectors.joining());
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * The process the node started for {@code host}: the host itself, or the sandbox (bubblewrap)
   * around it. Killing it is killing the host as the node sees it.
   */
  public static ProcessHandle launched(ProcessHandle host) {
    ProcessHandle current = host;
    while (true) {
      ProcessHandle parent = current.parent().orElse(null);
      if (parent == null || parent.pid() == ProcessHandle.current().pid()) {
        return current;
      }
      current = parent;
    }
  }
}
