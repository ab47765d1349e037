package dev.modelhub.optimize.internal;

import dev.modelhub.common.DaemonThreads;
import dev.modelhub.common.FileTrees;
import dev.modelhub.common.SandboxedJvm;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Runs a job's work on the model in processes of its own started as {@link SandboxedJvm}s: each
 * pass in a {@link PassHost} with the heap the job settings give it (so that a pass needing more
 * fails its attempt with that number, and the worker's heap never holds a model), each evaluation
 * in an {@link EvaluationHost}, so that a model crashing ONNX Runtime fails the attempt instead of
 * ending the worker. A cancelled job ends the process at once.
 */
public final class JobSandbox {

  /** The end of the process's output kept for the diagnosis: the output is not trusted. */
  private static final int KEPT_OUTPUT = 64 * 1024;

  private final SandboxedJvm jvm;
  private final SandboxedJvm training;

  private final long passHeapMegabytes;
  private final ObjectMapper json;

  /**
   * @param jvm passes and evaluations: ONNX Runtime only, nothing writable but their folder
   * @param training distillation training: PyTorch, which extracts its natives into the engine
   *     cache on first use
   */
  public JobSandbox(
      SandboxedJvm jvm, SandboxedJvm training, long passHeapMegabytes, ObjectMapper json) {
    this.jvm = jvm;
    this.training = training;
    this.passHeapMegabytes = passHeapMegabytes;
    this.json = json;
  }

  /**
   * Trains a distillation student in a {@link DistillHost}: the request and any checkpoint to
   * continue from are in {@code dir}, its own folder. What it reports of each epoch (and of a
   * checkpoint it could not read) goes to {@code progress} as it comes.
   */
  DistillHost.Result distill(
      Path request, Path dir, Interruption cancelled, DistillTraining.Progress progress)
      throws IOException, InterruptedException {
    run(
        training,
        DistillHost.class.getName(),
        dir,
        passHeapMegabytes,
        List.of(),
        request,
        List.of(),
        cancelled,
        DistillHost.DONE,
        DistillHost.FAILED,
        line -> DistillHost.relay(line, progress));
    if (!Files.isRegularFile(dir.resolve(DistillHost.MODEL), LinkOption.NOFOLLOW_LINKS)) {
      throw new ProcessCrashed("the training process left no model file");
    }
    return DistillHost.readResult(dir);
  }

  /** The process ended without a result (a crash, a kill, a limit). */
  public static final class ProcessCrashed extends RuntimeException {
    ProcessCrashed(String message) {
      super(message);
    }
  }

  /**
   * The process ran and reported a failure (ONNX Runtime refused a model or an input, a pass
   * refused the model or ran out of its heap).
   */
  public static final class ProcessFailed extends RuntimeException {
    ProcessFailed(String message) {
      super(message);
    }
  }

  Evaluator.Comparison compare(
      Path parent,
      Path variant,
      EvaluationData data,
      int latencyRuns,
      Interruption cancelled,
      Path workDir)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(workDir, "evaluation-");
    try {
      Path request = dir.resolve("request.bin");
      try (DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(request), 1 << 16))) {
        out.writeUTF(parent.toAbsolutePath().toString());
        out.writeUTF(variant.toAbsolutePath().toString());
        out.writeInt(latencyRuns);
        EvaluationFrames.write(out, data);
      }
      long heap = 256 + 3 * (Files.size(request) >> 20);
      run(
          jvm,
          EvaluationHost.class.getName(),
          dir,
          heap,
          List.of("-Dai.djl.offline=true", "-Dai.djl.onnx.disable_alternative=true"),
          request,
          List.of(parent.toAbsolutePath().getParent(), variant.toAbsolutePath().getParent()),
          cancelled,
          EvaluationHost.DONE,
          EvaluationHost.FAILED,
          line -> {});
      // Written by the process: only a regular file of the exact size is read, never a link.
      Path result = dir.resolve("result.bin");
      if (!Files.isRegularFile(result, LinkOption.NOFOLLOW_LINKS)
          || Files.size(result) != EvaluationFrames.COMPARISON_BYTES) {
        throw new ProcessCrashed("the evaluation process left no valid result");
      }
      try (DataInputStream in =
          new DataInputStream(
              new BufferedInputStream(Files.newInputStream(result, LinkOption.NOFOLLOW_LINKS)))) {
        return EvaluationFrames.readComparison(in);
      }
    } finally {
      FileTrees.deleteQuietly(dir);
    }
  }

  /** What a pass host reports. */
  record PassResult(
      JsonNode details, long parameters, double seconds, long peakHeapBytes, long peakRssBytes) {}

  /**
   * Applies a pass in a {@link PassHost}: the parent's folder readable, {@code dir} (where the
   * variant is written) its own folder, the heap {@code modelhub.jobs.pass-heap}.
   */
  PassResult apply(
      Path parent,
      String pass,
      JsonNode params,
      Set<String> keepFloat,
      Path dir,
      Interruption cancelled)
      throws IOException, InterruptedException {
    String result = host(parent, pass, params, keepFloat, false, dir, cancelled);
    // Written by the process: regular files only, never a link.
    if (!Files.isRegularFile(dir.resolve("model.onnx"), LinkOption.NOFOLLOW_LINKS)) {
      throw new ProcessCrashed("the pass process left no model file");
    }
    Path data = dir.resolve(OnnxGraph.DATA_FILE);
    if (Files.exists(data, LinkOption.NOFOLLOW_LINKS)
        && !Files.isRegularFile(data, LinkOption.NOFOLLOW_LINKS)) {
      throw new ProcessCrashed("the pass process left a data file that is not a file");
    }
    return json.readValue(result, PassResult.class);
  }

  /**
   * The nodes a pass would change (for the accuracy search), read in a {@link PassHost} so that the
   * worker never parses the model.
   */
  List<String> candidates(
      Path parent, String pass, JsonNode params, Path dir, Interruption cancelled)
      throws IOException, InterruptedException {
    JsonNode result =
        json.readTree(host(parent, pass, params, Set.of(), true, dir, cancelled)).get("candidates");
    List<String> names = new ArrayList<>();
    if (result != null) {
      result.forEach(n -> names.add(n.asString()));
    }
    return names;
  }

  /** Runs a pass host on one request; answers its result file's text. */
  private String host(
      Path parent,
      String pass,
      JsonNode params,
      Set<String> keepFloat,
      boolean candidatesOnly,
      Path dir,
      Interruption cancelled)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path request = dir.resolve("pass-request.json");
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("parent", parent.toAbsolutePath().toString());
    fields.put("pass", pass);
    fields.put("params", params);
    fields.put("keepFloat", List.copyOf(keepFloat));
    fields.put("candidatesOnly", candidatesOnly);
    SandboxedJvm.writeFresh(request, json.writeValueAsString(fields));
    run(
        jvm,
        PassHost.class.getName(),
        dir,
        passHeapMegabytes,
        List.of(),
        request,
        List.of(parent.toAbsolutePath().getParent()),
        cancelled,
        PassHost.DONE,
        PassHost.FAILED,
        line -> {});
    // Written by the process: a regular file, never a link, bounded.
    Path result = dir.resolve(PassHost.RESULT);
    if (!Files.isRegularFile(result, LinkOption.NOFOLLOW_LINKS)) {
      throw new ProcessCrashed("the pass process left no result");
    }
    if (Files.size(result) > 1 << 20) {
      throw new ProcessCrashed("the pass process left a result over 1 MiB");
    }
    return Files.readString(result);
  }

  /**
   * Runs {@code mainClass} on {@code request} in {@code dir} until it ends or the job is cancelled;
   * returns when it printed {@code done}, throws with its reported failure or with why it ended
   * otherwise.
   */
  private static void run(
      SandboxedJvm jvm,
      String mainClass,
      Path dir,
      long heapMegabytes,
      List<String> jvmOptions,
      Path request,
      List<Path> readable,
      Interruption cancelled,
      String done,
      String failed,
      Consumer<String> lines)
      throws IOException, InterruptedException {
    List<String> options = new ArrayList<>(List.of("-XX:+UseSerialGC"));
    options.addAll(jvmOptions);
    Process process =
        jvm.start(mainClass, dir, heapMegabytes, options, List.of(request.toString()), readable);
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(
            () -> read(process, lines),
            // a thread of its own per process: the common pool may have one thread in all
            task -> DaemonThreads.named("modelhub-job-output").newThread(task).start());
    while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
      if (cancelled.requested()) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor();
        throw new Evaluator.CancelledException();
      }
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    String text;
    try {
      text = output.get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      text = "";
    }
    if (process.exitValue() != 0 || !text.contains(done)) {
      String failure = failure(text, failed);
      if (failure != null) {
        throw new ProcessFailed(failure);
      }
      throw new ProcessCrashed(describe(process, text));
    }
  }

  private static String read(Process process, Consumer<String> lines) {
    byte[] kept = new byte[KEPT_OUTPUT];
    int length = 0;
    LineSplitter splitter = new LineSplitter(lines);
    try (InputStream in = process.getInputStream()) {
      byte[] chunk = new byte[8192];
      int n;
      while ((n = in.read(chunk)) > 0) {
        splitter.feed(chunk, n);
        if (length + n > KEPT_OUTPUT) {
          int drop = Math.min(length, length + n - KEPT_OUTPUT);
          System.arraycopy(kept, drop, kept, 0, length - drop);
          length -= drop;
        }
        int take = Math.min(n, KEPT_OUTPUT - length);
        System.arraycopy(chunk, n - take, kept, length, take);
        length += take;
      }
    } catch (IOException e) {
      // the process ended
    }
    return new String(kept, 0, length, StandardCharsets.UTF_8);
  }

  /** Hands each whole line of output on as it arrives; a line over 64 KiB is dropped. */
  private static final class LineSplitter {
    private final Consumer<String> lines;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean overlong;

    LineSplitter(Consumer<String> lines) {
      this.lines = lines;
    }

    void feed(byte[] chunk, int n) {
      for (int i = 0; i < n; i++) {
        if (chunk[i] == '\n') {
          if (!overlong) {
            lines.accept(line.toString(StandardCharsets.UTF_8));
          }
          line.reset();
          overlong = false;
        } else if (line.size() < KEPT_OUTPUT) {
          line.write(chunk[i]);
        } else {
          overlong = true;
        }
      }
    }
  }

  /** The error the evaluation reported, or null when it did not get to report one. */
  private static String failure(String output, String failed) {
    for (String line : output.split("\n")) {
      if (line.startsWith(failed)) {
        return line.substring(failed.length()).trim();
      }
    }
    return null;
  }

  /** Why the process ended: the native fault it reported, its last error line, or its status. */
  static String describe(Process process, String output) {
    String fault = null;
    String lastError = null;
    for (String line : output.split("\n")) {
      String reported = SandboxedJvm.nativeFault(line);
      if (reported != null) {
        fault = reported;
      }
      if (line.startsWith("Exception in thread") || line.contains("Exception: ")) {
        lastError = line.trim();
      }
    }
    if (fault != null) {
      return "the job's process crashed (" + fault + " in native code)";
    }
    if (lastError != null) {
      return "the job's process failed: " + lastError;
    }
    return "the job's process ended (" + SandboxedJvm.exitOf(process) + ")";
  }
}
