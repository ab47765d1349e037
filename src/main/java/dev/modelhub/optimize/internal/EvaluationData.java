package dev.modelhub.optimize.internal;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What variants are evaluated on: rows of a dataset (one FP32 input, optional labels), or inputs
 * generated from the signature when there is no dataset.
 *
 * @param inputs per sample, per model input, the flat FP32 values
 * @param shapes per model input, the shape of one sample (no batch dimension)
 * @param names the model inputs, in signature order
 * @param labels the label of each sample, or null
 * @param source "dataset:<name>" or "generated"
 */
public record EvaluationData(
    List<float[][]> inputs, List<long[]> shapes, List<String> names, int[] labels, String source) {

  /** Samples drawn from N(0, 1) for every FP32 input (unknown dimensions become 1). */
  public static EvaluationData generated(ModelSignature signature, int samples, long seed) {
    Random random = new Random(seed);
    List<long[]> shapes = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (TensorSpec input : signature.inputs()) {
      if (input.datatype() != Datatype.FP32) {
        throw new IllegalArgumentException(
            "input '"
                + input.name()
                + "' is "
                + input.datatype()
                + "; generated inputs are FP32 only");
      }
      names.add(input.name());
      shapes.add(sampleShape(input));
    }
    List<float[][]> inputs = new ArrayList<>();
    for (int s = 0; s < samples; s++) {
      float[][] sample = new float[shapes.size()][];
      for (int i = 0; i < shapes.size(); i++) {
        sample[i] = new float[(int) count(shapes.get(i))];
        for (int j = 0; j < sample[i].length; j++) {
          sample[i][j] = (float) random.nextGaussian();
        }
      }
      inputs.add(sample);
    }
    return new EvaluationData(inputs, shapes, names, null, "generated");
  }

  /** The shape of one sample of {@code input}: its dimensions without the batch. */
  public static long[] sampleShape(TensorSpec input) {
    List<Long> dims = input.shape() == null ? List.of(-1L) : input.shape();
    long[] shape = new long[Math.max(0, dims.size() - 1)];
    for (int i = 1; i < dims.size(); i++) {
      shape[i - 1] = dims.get(i) < 0 ? 1 : dims.get(i);
    }
    return shape;
  }

  public static long count(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  public int size() {
    return inputs.size();
  }

  public boolean labelled() {
    return labels != null;
  }
}
