package dev.modelhub.serving.internal;

import dev.modelhub.format.Pipeline;
import dev.modelhub.serving.Classification;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorBytes;
import dev.modelhub.serving.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Reads an output as classes along its last dimension, as a version's pipeline says: softmax or
 * sigmoid, threshold, top-k, labels. Every dimension before the last is a row.
 */
public final class PostSteps {

  private PostSteps() {}

  /**
   * One classification per row of {@code output}.
   *
   * @param pipeline the version's pipeline (null: raw scores, no labels)
   * @param k the classes to keep per row, or null for the pipeline's top-k (all when it has none)
   * @param filter whether the pipeline's threshold applies (Triton's classification extension
   *     answers exactly k classes per row, so it does not)
   */
  public static List<Classification> classify(
      Pipeline pipeline, Tensor output, Integer k, boolean filter) {
    List<Pipeline.Step> steps = pipeline == null ? List.of() : pipeline.postprocess();
    List<String> labels = pipeline == null ? List.of() : pipeline.labels();
    long[] shape = output.shape();
    if (shape.length == 0 || shape[shape.length - 1] == 0) {
      throw ServingExceptions.invalidInput(
          "Output '"
              + output.name()
              + "' has shape "
              + Arrays.toString(shape)
              + "; classification reads classes along a last dimension.");
    }
    int classes = (int) shape[shape.length - 1];
    double[] scores = scores(output);
    int rows = scores.length / classes;
    int keep = k != null ? k : topK(steps);
    Double threshold = filter ? threshold(steps) : null;
    List<Classification> result = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      double[] row = Arrays.copyOfRange(scores, r * classes, (r + 1) * classes);
      for (Pipeline.Step step : steps) {
        if (step instanceof Pipeline.Softmax) {
          softmax(row);
        } else if (step instanceof Pipeline.Sigmoid) {
          for (int i = 0; i < row.length; i++) {
            row[i] = 1 / (1 + Math.exp(-row[i]));
          }
        }
      }
      List<Classification.Scored> scored = new ArrayList<>(classes);
      for (int i = 0; i < classes; i++) {
        if (threshold == null || row[i] >= threshold) {
          scored.add(
              new Classification.Scored(i, i < labels.size() ? labels.get(i) : null, row[i]));
        }
      }
      // Best first; equal scores in class order, so answers are stable.
      scored.sort(
          Comparator.comparingDouble(Classification.Scored::score)
              .reversed()
              .thenComparingInt(Classification.Scored::index));
      result.add(new Classification(List.copyOf(scored.subList(0, Math.min(keep, scored.size())))));
    }
    return result;
  }

  private static double[] scores(Tensor output) {
    TensorData data = TensorBytes.numbers(output.datatype(), output.data());
    if (data instanceof TensorData.Reals reals) {
      return reals.values();
    }
    if (data instanceof TensorData.Integers integers) {
      return Arrays.stream(integers.values()).asDoubleStream().toArray();
    }
    throw ServingExceptions.invalidInput(
        "Output '" + output.name() + "' holds " + output.datatype() + ", not scores.");
  }

  /** Softmax in place, stable for large values. */
  static void softmax(double[] row) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : row) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (int i = 0; i < row.length; i++) {
      row[i] = Math.exp(row[i] - max);
      sum += row[i];
    }
    for (int i = 0; i < row.length; i++) {
      row[i] /= sum;
    }
  }

  private static int topK(List<Pipeline.Step> steps) {
    return Pipeline.steps(steps, Pipeline.TopK.class).stream()
        .map(Pipeline.TopK::k)
        .findFirst()
        .orElse(Integer.MAX_VALUE);
  }

  private static Double threshold(List<Pipeline.Step> steps) {
    return Pipeline.steps(steps, Pipeline.Threshold.class).stream()
        .map(Pipeline.Threshold::min)
        .findFirst()
        .orElse(null);
  }
}
