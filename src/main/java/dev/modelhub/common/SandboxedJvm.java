package dev.modelhub.common;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Starts a Java main class of this application in a child process with least privilege: the node's
 * own Java and class path (Spring Boot's launcher under {@code java -jar}), a clean environment
 * (none of the node's variables, so no database password, S3 keys or admin key), a given heap,
 * resource limits through {@code prlimit} (open files, no core dumps) and, where bubblewrap is
 * installed and works, no network, its own PID and IPC namespaces and a read-only file system but
 * for its folder and the given writable paths. Engine hosts and the job worker's evaluations run
 * this way.
 */
public final class SandboxedJvm {

  private static final String BOOT_LAUNCHER =
      "org.springframework.boot.loader.launch.PropertiesLauncher";

  /**
   * @param maxOpenFiles the process's open-file limit
   * @param sandbox whether to use bubblewrap when it is installed
   * @param writable paths (besides its own folder) the process may write under bubblewrap
   * @param hidden folders (besides the node's working folder) hidden under bubblewrap: data of
   *     other models and tenants
   * @param environment the process's whole environment, besides HOME and TMPDIR (its folder)
   */
  public record Settings(
      int maxOpenFiles,
      boolean sandbox,
      List<Path> writable,
      List<Path> hidden,
      Map<String, String> environment) {}

  private final Settings settings;
  private final boolean prlimit;
  private final boolean bubblewrap;

  public SandboxedJvm(Settings settings) {
    this.settings = settings;
    this.prlimit = Files.isExecutable(Path.of("/usr/bin/prlimit"));
    this.bubblewrap = settings.sandbox() && bubblewrapWorks();
  }

  public boolean limited() {
    return prlimit;
  }

  public boolean sandboxed() {
    return bubblewrap;
  }

  /** The restrictions that apply, in words (for logs and status). */
  public String restrictions() {
    List<String> parts = new ArrayList<>(List.of("clean environment", "own folder"));
    if (prlimit) {
      parts.add("open files ≤ " + settings.maxOpenFiles());
      parts.add("no core dumps");
    }
    if (bubblewrap) {
      parts.add("no network");
      parts.add("read-only file system");
      parts.add("own process namespace");
    }
    return String.join(", ", parts);
  }

  /**
   * Starts {@code mainClass} with {@code args}, working in {@code workDir} (which holds its
   * argument file and its temporary files), its output and errors merged.
   */
  public Process start(
      String mainClass,
      Path workDir,
      long heapMegabytes,
      List<String> jvmOptions,
      List<String> args,
      List<Path> readable)
      throws IOException {
    Path argFile = workDir.resolve("java.args");
    writeFresh(argFile, javaArguments(mainClass, workDir, heapMegabytes, jvmOptions, args));
    List<String> command = new ArrayList<>();
    if (prlimit) {
      command.addAll(
          List.of("/usr/bin/prlimit", "--nofile=" + settings.maxOpenFiles(), "--core=0", "--"));
    }
    if (bubblewrap) {
      command.addAll(sandbox(workDir, readable));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("@" + argFile);

    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    builder.redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(settings.environment());
    env.put("HOME", workDir.toString());
    env.put("TMPDIR", workDir.toString());
    // bubblewrap's --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that started it
    // ends, so every child is started from one thread that lives as long as the process.
    try {
      return SPAWNER.submit(builder::start).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + mainClass, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("cannot start " + mainClass, e.getCause());
    }
  }

  /**
   * The JVM's report of a fault in native code ("# SIGFPE (0x8) at pc=…"): the process then aborts,
   * so its exit status alone would say SIGABRT.
   */
  private static final Pattern NATIVE_FAULT = Pattern.compile("^#\\s+(SIG[A-Z]{2,8}) \\(0x");

  /** The signal a line of a child's output reports as a native fault, or null. */
  public static String nativeFault(String line) {
    Matcher fault = NATIVE_FAULT.matcher(line);
    return fault.find() ? fault.group(1) : null;
  }

  /** How a child ended, in words: its exit status, or the signal that killed it. */
  public static String exitOf(Process ended) {
    if (ended.isAlive()) {
      return "still running";
    }
    int status = ended.exitValue();
    if (status > 128 && status < 128 + 65) {
      int signal = status - 128;
      String name =
          switch (signal) {
            case 4 -> "SIGILL";
            case 6 -> "SIGABRT";
            case 7 -> "SIGBUS";
            case 8 -> "SIGFPE";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 15 -> "SIGTERM";
            default -> "signal " + signal;
          };
      return "killed by " + name;
    }
    return "exit status " + status;
  }

  private static final ExecutorService SPAWNER =
      Executors.newSingleThreadExecutor(DaemonThreads.named("modelhub-process-spawner"));

  /**
   * bubblewrap's arguments: the system read-only; {@code /tmp}, {@code /run} (local sockets: the
   * database's, D-Bus) and the node's own folder (its data, cache, spool and S3 objects) hidden
   * behind empty tmpfs; then, read-only, the class path and {@code readable}; read-write, the
   * settings' writable paths and the process's folder; every namespace unshared (no network), a new
   * session, no capabilities.
   */
  private List<String> sandbox(Path workDir, List<Path> readable) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "bwrap",
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "--tmpfs",
                "/tmp",
                "--tmpfs",
                "/run"));
    Path nodeFolder = Path.of("").toAbsolutePath().normalize();
    List<Path> hidden = new ArrayList<>(settings.hidden());
    hidden.add(0, nodeFolder);
    for (Path path : hidden) {
      Path absolute = path.toAbsolutePath().normalize();
      if (absolute.getNameCount() > 0 && Files.isDirectory(absolute)) {
        args.addAll(List.of("--tmpfs", absolute.toString()));
      }
    }
    List<Path> visible = new ArrayList<>();
    for (String entry : classPath().split(File.pathSeparator)) {
      visible.add(Path.of(entry));
    }
    visible.addAll(readable);
    for (Path path : visible) {
      Path absolute = path.toAbsolutePath().normalize();
      if (Files.exists(absolute)) {
        args.addAll(List.of("--ro-bind", absolute.toString(), absolute.toString()));
      }
    }
    for (Path path : settings.writable()) {
      Path absolute = path.toAbsolutePath().normalize();
      Files.createDirectories(absolute);
      args.addAll(List.of("--bind", absolute.toString(), absolute.toString()));
    }
    args.addAll(List.of("--bind", workDir.toString(), workDir.toString()));
    args.addAll(
        List.of("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--"));
    return args;
  }

  /**
   * Writes a file in a folder the child may write to: whatever is there (a link it planted) is
   * removed first, and the file is created new, never followed.
   */
  public static void writeFresh(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.writeString(
        file,
        text,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS);
  }

  /** The JVM's arguments, in an argument file: the class path can be tens of kilobytes. */
  private static String javaArguments(
      String mainClass,
      Path workDir,
      long heapMegabytes,
      List<String> jvmOptions,
      List<String> args) {
    List<String> all = new ArrayList<>();
    all.add("-Xmx" + heapMegabytes + "m");
    all.add("-Djava.io.tmpdir=" + workDir);
    // A native fault ends the process with a short report in its output; no core dump, and the
    // full report stays in its folder.
    all.add("-XX:-CreateCoredumpOnCrash");
    all.add("-XX:ErrorFile=" + workDir.resolve("hs_err.log"));
    all.addAll(jvmOptions);
    String classPath = classPath();
    if (SandboxedJvm.class
        .getClassLoader()
        .getClass()
        .getName()
        .startsWith("org.springframework.boot.loader")) {
      // java -jar modelhub.jar: the classes are nested in the jar; Boot's launcher opens them.
      all.add("-Dloader.main=" + mainClass);
      all.addAll(List.of("-cp", classPath, BOOT_LAUNCHER));
    } else {
      all.addAll(List.of("-cp", classPath, mainClass));
    }
    all.addAll(args);
    StringBuilder text = new StringBuilder();
    for (String arg : all) {
      text.append('"').append(arg.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
    }
    return text.toString();
  }

  /** Absolute: the process starts in its own folder (java -jar gives the jar as it was typed). */
  private static String classPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !entry.isBlank())
        .map(entry -> Path.of(entry).toAbsolutePath().normalize().toString())
        .collect(Collectors.joining(File.pathSeparator));
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
