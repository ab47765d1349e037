package dev.modelhub.optimize.internal;

import dev.modelhub.common.NativeEnvironment;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process a job's evaluation runs in: it reads the parent, the variant and the data from the
 * request file named by its argument, compares them with the {@link Evaluator}, writes the result
 * next to it and prints {@value #DONE}. A model that crashes ONNX Runtime ends this process, and
 * the job's attempt fails; the worker carries on. Cancelling the job ends the process.
 */
public final class EvaluationHost {

  static final String DONE = "modelhub-evaluation: DONE";
  static final String FAILED = "modelhub-evaluation: FAILED ";

  private EvaluationHost() {}

  public static void main(String[] args) throws Exception {
    NativeEnvironment.prepare();
    Path request = Path.of(args[0]);
    Path parent;
    Path variant;
    int latencyRuns;
    EvaluationData data;
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(request), 1 << 16))) {
      parent = Path.of(in.readUTF());
      variant = Path.of(in.readUTF());
      latencyRuns = in.readInt();
      data = EvaluationFrames.read(in);
    }
    Evaluator.Comparison comparison;
    try {
      comparison = new Evaluator(latencyRuns).compare(parent, variant, data, () -> false);
    } catch (Exception e) {
      System.out.println(FAILED + e.getClass().getSimpleName() + ": " + e.getMessage());
      System.out.flush();
      System.exit(2);
      return;
    }
    try (DataOutputStream out =
        new DataOutputStream(
            new BufferedOutputStream(
                Files.newOutputStream(request.resolveSibling("result.bin"))))) {
      EvaluationFrames.write(out, comparison);
    }
    System.out.println(DONE);
    System.out.flush();
    System.exit(0);
  }
}
