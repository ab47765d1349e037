package dev.modelhub.serving.internal;

import dev.modelhub.serving.ServingProperties;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts engine hosts with least privilege: the node's own Java and jar, a clean environment (none
 * of the node's variables, so no database password, S3 keys or admin key), a small heap, resource
 * limits through {@code prlimit} (open files, no core dumps), the spec in a file of its own folder
 * rather than on the command line, and, where bubblewrap is installed and works, no network, no
 * view of other processes and a read-only file system but for the host's folder and the engine
 * cache.
 */
final class HostLauncher {

  private static final Logger log = LoggerFactory.getLogger(HostLauncher.class);

  private static final String BOOT_LAUNCHER =
      "org.springframework.boot.loader.launch.PropertiesLauncher";

  private final ServingProperties properties;
  private final boolean prlimit;
  private final boolean bubblewrap;

  HostLauncher(ServingProperties properties) {
    this.properties = properties;
    this.prlimit = Files.isExecutable(Path.of("/usr/bin/prlimit"));
    this.bubblewrap = properties.host().sandbox() && bubblewrapWorks();
    log.info(
        "Engine hosts: isolation {}, resource limits {}, sandbox {}",
        properties.isolation().name().toLowerCase(),
        prlimit ? "by prlimit" : "none (prlimit not found)",
        bubblewrap
            ? "bubblewrap (no network, read-only file system)"
            : properties.host().sandbox()
                ? "none (bubblewrap not installed or not usable here)"
                : "off");
  }

  /** What the hosts are restricted by, for the serving status and the log. */
  String restrictions() {
    List<String> parts = new ArrayList<>(List.of("clean environment", "own folder"));
    if (prlimit) {
      parts.add("open files ≤ " + properties.host().maxOpenFiles());
      parts.add("no core dumps");
    }
    if (bubblewrap) {
      parts.add("no network");
      parts.add("read-only file system");
      parts.add("own process namespace");
    }
    return String.join(", ", parts);
  }

  Process start(HostSpec spec, Path workDir) throws IOException {
    Path specFile = workDir.resolve("host.properties");
    spec.write(specFile);
    Path argFile = workDir.resolve("java.args");
    Files.writeString(argFile, javaArguments(specFile), StandardCharsets.UTF_8);

    List<String> command = new ArrayList<>();
    if (prlimit) {
      command.addAll(
          List.of(
              "/usr/bin/prlimit",
              "--nofile=" + properties.host().maxOpenFiles(),
              "--core=0",
              "--"));
    }
    if (bubblewrap) {
      Path engines = properties.engineCacheDir().toAbsolutePath().normalize();
      Files.createDirectories(engines);
      command.addAll(
          List.of(
              "bwrap",
              "--ro-bind",
              "/",
              "/",
              "--dev",
              "/dev",
              "--proc",
              "/proc",
              "--bind",
              workDir.toString(),
              workDir.toString(),
              "--bind",
              engines.toString(),
              engines.toString(),
              "--unshare-net",
              "--unshare-pid",
              "--unshare-ipc",
              "--die-with-parent",
              "--"));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("@" + argFile);

    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    builder.redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.clear();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", workDir.toString());
    env.put("TMPDIR", workDir.toString());
    env.put("LANG", "C.UTF-8");
    env.put("ORT_DISABLE_TELEMETRY", "1");
    env.put("TF_CPP_MIN_LOG_LEVEL", "3");
    env.put("OMP_NUM_THREADS", Integer.toString(properties.intraOpThreads()));
    env.put("MALLOC_ARENA_MAX", "2");
    return builder.start();
  }

  /** The JVM's arguments, in an argument file: the class path can be tens of kilobytes. */
  private String javaArguments(Path specFile) {
    List<String> args = new ArrayList<>();
    args.add("-Xmx" + properties.host().heap().toMegabytes() + "m");
    args.add("-XX:+UseSerialGC");
    args.add("-XX:TieredStopAtLevel=1");
    args.add("-XX:ReservedCodeCacheSize=32m");
    args.add("-Xss1m");
    args.add("-Djava.io.tmpdir=" + specFile.getParent());
    // A native fault ends the host with a short report in its output; no core dump, and the
    // full report stays in the host's folder.
    args.add("-XX:-CreateCoredumpOnCrash");
    args.add("-XX:ErrorFile=" + specFile.resolveSibling("hs_err.log"));
    // Absolute: the host starts in its own folder (java -jar gives the jar as it was typed).
    String classPath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(entry -> !entry.isBlank())
            .map(entry -> Path.of(entry).toAbsolutePath().toString())
            .collect(Collectors.joining(File.pathSeparator));
    if (launchedFromBootJar()) {
      // java -jar modelhub.jar: the classes are nested in the jar; Boot's launcher opens them.
      args.add("-Dloader.main=" + EngineHost.class.getName());
      args.add("-cp");
      args.add(classPath);
      args.add(BOOT_LAUNCHER);
    } else {
      args.add("-cp");
      args.add(classPath);
      args.add(EngineHost.class.getName());
    }
    args.add(specFile.toString());
    StringBuilder text = new StringBuilder();
    for (String arg : args) {
      text.append('"').append(arg.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
    }
    return text.toString();
  }

  private static boolean launchedFromBootJar() {
    return EngineHost.class
        .getClassLoader()
        .getClass()
        .getName()
        .startsWith("org.springframework.boot.loader");
  }

  private static boolean bubblewrapWorks() {
    try {
      Process probe =
          new ProcessBuilder(
                  "bwrap", "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true")
              .redirectErrorStream(true)
              .start();
      probe.getInputStream().readAllBytes();
      return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
