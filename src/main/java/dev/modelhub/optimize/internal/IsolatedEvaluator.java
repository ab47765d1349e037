package dev.modelhub.optimize.internal;

import dev.modelhub.common.FileTrees;
import dev.modelhub.common.SandboxedJvm;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a job's evaluation in an {@link EvaluationHost} process started as a {@link SandboxedJvm},
 * so that a model crashing ONNX Runtime fails the job's attempt instead of ending the worker. A
 * cancelled job ends the process at once.
 */
public final class IsolatedEvaluator {

  /** The end of the process's output kept for the diagnosis: the output is not trusted. */
  private static final int KEPT_OUTPUT = 64 * 1024;

  private final SandboxedJvm jvm;

  public IsolatedEvaluator(SandboxedJvm jvm) {
    this.jvm = jvm;
  }

  /** The evaluation process ended without a result (a crash, a kill, a limit). */
  public static final class EvaluationCrashed extends RuntimeException {
    EvaluationCrashed(String message) {
      super(message);
    }
  }

  /** The evaluation ran and failed (ONNX Runtime refused a model or an input). */
  public static final class EvaluationFailed extends RuntimeException {
    EvaluationFailed(String message) {
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
      Process process =
          jvm.start(
              EvaluationHost.class.getName(),
              dir,
              heap,
              List.of(
                  "-XX:+UseSerialGC",
                  "-Dai.djl.offline=true",
                  "-Dai.djl.onnx.disable_alternative=true"),
              List.of(request.toString()),
              List.of(parent.toAbsolutePath().getParent(), variant.toAbsolutePath().getParent()));
      CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> read(process));
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
      if (process.exitValue() != 0 || !text.contains(EvaluationHost.DONE)) {
        String failure = failure(text);
        if (failure != null) {
          throw new EvaluationFailed(failure);
        }
        throw new EvaluationCrashed(describe(process, text));
      }
      // Written by the process: only a regular file of the exact size is read, never a link.
      Path result = dir.resolve("result.bin");
      if (!Files.isRegularFile(result, LinkOption.NOFOLLOW_LINKS)
          || Files.size(result) != EvaluationFrames.COMPARISON_BYTES) {
        throw new EvaluationCrashed("the evaluation process left no valid result");
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

  private static String read(Process process) {
    byte[] kept = new byte[KEPT_OUTPUT];
    int length = 0;
    try (InputStream in = process.getInputStream()) {
      byte[] chunk = new byte[8192];
      int n;
      while ((n = in.read(chunk)) > 0) {
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

  /** The error the evaluation reported, or null when it did not get to report one. */
  private static String failure(String output) {
    for (String line : output.split("\n")) {
      if (line.startsWith(EvaluationHost.FAILED)) {
        return line.substring(EvaluationHost.FAILED.length()).trim();
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
      return "the evaluation process crashed (" + fault + " in native code)";
    }
    if (lastError != null) {
      return "the evaluation failed: " + lastError;
    }
    return "the evaluation process ended (" + SandboxedJvm.exitOf(process) + ")";
  }
}
