package dev.modelhub.optimize.internal;

import ai.djl.engine.Engine;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelhub.common.FileTrees;
import dev.modelhub.common.Memory;
import dev.modelhub.common.NativeEnvironment;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Measures a variant against its parent with ONNX Runtime, in the same run: outputs on every sample
 * (agreement, differences, accuracy when labelled) and single-sample latency, the two models timed
 * alternately so that machine noise hits both alike.
 */
public final class Evaluator {

  private static final int BATCH = 64;

  private final int latencyRuns;
  private final long outputBudget;
  private final LongSupplier memoryAvailable;

  /**
   * An evaluator keeping outputs in up to a quarter of this process's heap, opening both models
   * together when the memory available allows.
   */
  public Evaluator(int latencyRuns) {
    this(latencyRuns, Runtime.getRuntime().maxMemory() / 4, Memory::available);
  }

  /**
   * @param outputBudget bytes the outputs of both models may take: the samples compared are as many
   *     as it holds
   * @param memoryAvailable the memory available for the engine's sessions (-1 when unknown)
   */
  public Evaluator(int latencyRuns, long outputBudget, LongSupplier memoryAvailable) {
    this.latencyRuns = latencyRuns;
    this.outputBudget = outputBudget;
    this.memoryAvailable = memoryAvailable;
  }

  /** The parent's or variant's numbers. */
  public record Side(Double accuracy, double latencyP50Ms, double latencyP95Ms) {}

  /**
   * How the variant compares with its parent: on {@code samples} samples (fewer than the data's
   * when their outputs would not fit the heap), with both models loaded {@code together} or one
   * after the other when two would not fit in memory.
   */
  public record Comparison(
      Side parent,
      Side variant,
      Double top1Agreement,
      double maxAbsDiff,
      double meanAbsDiff,
      int samples,
      boolean together) {

    public Double accuracyDrop() {
      return parent.accuracy() == null ? null : parent.accuracy() - variant.accuracy();
    }
  }

  /** Outputs of one model on every sample (its first output, flattened per sample). */
  record Outputs(float[][] values) {}

  public Comparison compare(Path parent, Path variant, EvaluationData data, Interruption cancelled)
      throws OrtException {
    OrtEnvironment env = environment();
    boolean together = fitTogether(parent, variant, memoryAvailable.getAsLong());
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession.RunOptions calls = new OrtSession.RunOptions();
        Interruption.Tracked tracked = cancelled.track(calls)) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      if (together) {
        try (OrtSession p = env.createSession(parent.toString(), options);
            OrtSession v = env.createSession(variant.toString(), options)) {
          Outputs parentOut = run(env, p, calls, data, cancelled, data.size());
          Outputs variantOut = run(env, v, calls, data, cancelled, parentOut.values().length);
          double[][] latency = latency(env, List.of(p, v), calls, data, cancelled);
          return compare(parentOut, variantOut, data, latency[0], latency[1], true);
        }
      }
      // Two sessions would not fit: each model is loaded, run and timed, then closed.
      Outputs parentOut;
      double[] parentLatency;
      try (OrtSession p = env.createSession(parent.toString(), options)) {
        parentOut = run(env, p, calls, data, cancelled, data.size());
        parentLatency = latency(env, List.of(p), calls, data, cancelled)[0];
      }
      try (OrtSession v = env.createSession(variant.toString(), options)) {
        Outputs variantOut = run(env, v, calls, data, cancelled, parentOut.values().length);
        double[] variantLatency = latency(env, List.of(v), calls, data, cancelled)[0];
        return compare(parentOut, variantOut, data, parentLatency, variantLatency, false);
      }
    } catch (OrtException e) {
      if (cancelled.requested()) {
        throw new CancelledException();
      }
      throw e;
    }
  }

  /**
   * Whether both models fit in memory at once: ONNX Runtime holds about a model's files' size per
   * session, and the two must leave half of the memory available free.
   */
  static boolean fitTogether(Path parent, Path variant, long available) {
    long models =
        FileTrees.filesIn(parent.toAbsolutePath().getParent())
            + FileTrees.filesIn(variant.toAbsolutePath().getParent());
    return available < 0 || 2 * models < available;
  }

  /**
   * ONNX Runtime allows one environment per process, and DJL (serving) creates it with global
   * thread pools, which ONNX Runtime refuses once any environment exists. So DJL creates it, here
   * too, and evaluation shares it.
   */
  static OrtEnvironment environment() {
    NativeEnvironment.prepare();
    Engine.getEngine("OnnxRuntime");
    return OrtEnvironment.getEnvironment();
  }

  /** Accuracy of one model on labelled data (for the accuracy-aware search). */
  public double accuracy(Path model, EvaluationData data, Interruption cancelled)
      throws OrtException {
    OrtEnvironment env = environment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(model.toString(), options);
          OrtSession.RunOptions calls = new OrtSession.RunOptions();
          Interruption.Tracked tracked = cancelled.track(calls)) {
        return accuracy(
            run(env, session, calls, data, cancelled, data.size()).values(), data.labels());
      } catch (OrtException e) {
        if (cancelled.requested()) {
          throw new CancelledException();
        }
        throw e;
      }
    }
  }

  static Comparison compare(
      Outputs parent,
      Outputs variant,
      EvaluationData data,
      double[] parentLatency,
      double[] variantLatency,
      boolean together) {
    double maxDiff = 0;
    double sumDiff = 0;
    long elements = 0;
    int agree = 0;
    boolean classifier = parent.values().length > 0 && parent.values()[0].length > 1;
    for (int s = 0; s < parent.values().length; s++) {
      float[] a = parent.values()[s];
      float[] b = variant.values()[s];
      for (int i = 0; i < a.length; i++) {
        double d = Math.abs((double) a[i] - b[i]);
        maxDiff = Math.max(maxDiff, d);
        sumDiff += d;
      }
      elements += a.length;
      if (argmax(a) == argmax(b)) {
        agree++;
      }
    }
    Double parentAccuracy = data.labelled() ? accuracy(parent.values(), data.labels()) : null;
    Double variantAccuracy = data.labelled() ? accuracy(variant.values(), data.labels()) : null;
    return new Comparison(
        new Side(parentAccuracy, percentile(parentLatency, 50), percentile(parentLatency, 95)),
        new Side(variantAccuracy, percentile(variantLatency, 50), percentile(variantLatency, 95)),
        classifier ? (double) agree / parent.values().length : null,
        maxDiff,
        elements == 0 ? 0 : sumDiff / elements,
        parent.values().length,
        together);
  }

  private static double accuracy(float[][] outputs, int[] labels) {
    int correct = 0;
    for (int s = 0; s < outputs.length; s++) {
      if (argmax(outputs[s]) == labels[s]) {
        correct++;
      }
    }
    return (double) correct / outputs.length;
  }

  private Outputs run(
      OrtEnvironment env,
      OrtSession session,
      OrtSession.RunOptions calls,
      EvaluationData data,
      Interruption cancelled,
      int samples)
      throws OrtException {
    float[][] out = new float[samples][];
    for (int start = 0; start < samples; start += BATCH) {
      if (cancelled.requested()) {
        throw new CancelledException();
      }
      int n = Math.min(BATCH, samples - start);
      Map<String, OnnxTensor> feeds = feeds(env, data, start, n);
      try (OrtSession.Result result = session.run(feeds, calls)) {
        float[] flat = flatten(result.get(0));
        int per = flat.length / n;
        for (int i = 0; i < n; i++) {
          out[start + i] = Arrays.copyOfRange(flat, i * per, (i + 1) * per);
        }
        if (start == 0) {
          // Outputs of both models are kept for the comparison: as many samples as the budget
          // holds (a model with huge outputs is compared on fewer, and says so).
          long perSample = 2L * Math.max(per, 1) * Float.BYTES + 64;
          int afford = (int) Math.min(samples, outputBudget / perSample);
          if (afford < samples) {
            samples = Math.max(afford, 1);
            out = Arrays.copyOf(out, samples);
          }
        }
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    }
    return new Outputs(out);
  }

  /** Single-sample latency of each model, alternating when there are two, after a warm-up. */
  private double[][] latency(
      OrtEnvironment env,
      List<OrtSession> sessions,
      OrtSession.RunOptions calls,
      EvaluationData data,
      Interruption cancelled)
      throws OrtException {
    int models = sessions.size();
    double[][] ms = new double[models][latencyRuns];
    for (int run = -10; run < latencyRuns; run++) {
      if (cancelled.requested()) {
        throw new CancelledException();
      }
      int sample = Math.floorMod(run, data.size());
      Map<String, OnnxTensor> feeds = feeds(env, data, sample, 1);
      try {
        for (int m = 0; m < models; m++) {
          // Alternate which model goes first, so neither always runs on a warmer cache.
          int which = (run & 1) == 0 ? m : models - 1 - m;
          long start = System.nanoTime();
          try (OrtSession.Result ignored = sessions.get(which).run(feeds, calls)) {
            long took = System.nanoTime() - start;
            if (run >= 0) {
              ms[which][run] = took / 1e6;
            }
          }
        }
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    }
    return ms;
  }

  private static Map<String, OnnxTensor> feeds(
      OrtEnvironment env, EvaluationData data, int start, int n) throws OrtException {
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try {
      for (InputColumn input : data.inputs()) {
        feeds.put(input.name(), input.batch(env, start, n));
      }
      return feeds;
    } catch (OrtException | RuntimeException e) {
      feeds.values().forEach(OnnxTensor::close);
      throw e;
    }
  }

  /** The first output's elements as floats, whatever its numeric type. */
  private static float[] flatten(OnnxValue value) {
    if (!(value instanceof OnnxTensor tensor)) {
      throw new IllegalStateException("the model's first output is not a tensor");
    }
    OnnxJavaType type = tensor.getInfo().type;
    float[] out = new float[Math.toIntExact(tensor.getInfo().getNumElements())];
    switch (type) {
      case FLOAT -> tensor.getFloatBuffer().get(out);
      case DOUBLE -> {
        DoubleBuffer buffer = tensor.getDoubleBuffer();
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) buffer.get(i);
        }
      }
      case INT64 -> {
        LongBuffer buffer = tensor.getLongBuffer();
        for (int i = 0; i < out.length; i++) {
          out[i] = buffer.get(i);
        }
      }
      case INT32 -> {
        IntBuffer buffer = tensor.getIntBuffer();
        for (int i = 0; i < out.length; i++) {
          out[i] = buffer.get(i);
        }
      }
      default -> throw new IllegalStateException("outputs of type " + type + " are not compared");
    }
    return out;
  }

  private static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  private static double percentile(double[] values, double p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /** Thrown at a checkpoint when the job was cancelled. */
  public static final class CancelledException extends RuntimeException {
    public CancelledException() {
      super("cancelled");
    }
  }
}
