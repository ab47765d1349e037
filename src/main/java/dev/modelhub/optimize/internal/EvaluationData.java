package dev.modelhub.optimize.internal;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What variants are evaluated on: a dataset's samples (one column per model input, optional
 * labels), or inputs generated from the signature when there is no dataset.
 *
 * @param inputs one column per model input, in signature order
 * @param labels the label of each sample, or null
 * @param source "dataset:<name>" or "generated"
 * @param size the number of samples
 */
public record EvaluationData(List<InputColumn> inputs, int[] labels, String source, int size) {

  /** Samples drawn from N(0, 1) for every FP32 input (unknown dimensions become 1). */
  public static EvaluationData generated(ModelSignature signature, int samples, long seed) {
    Random random = new Random(seed);
    List<long[]> shapes = new ArrayList<>();
    List<FloatBuffer> values = new ArrayList<>();
    for (TensorSpec input : signature.inputs()) {
      if (input.datatype() != Datatype.FP32) {
        throw new IllegalArgumentException(
            "input '"
                + input.name()
                + "' is "
                + input.datatype()
                + "; generated inputs are FP32 only");
      }
      long[] shape = sampleShape(input);
      shapes.add(shape);
      values.add(FloatBuffer.allocate(Math.toIntExact(samples * count(shape))));
    }
    // Sample by sample, input by input: the same numbers for the same seed, however stored.
    for (int s = 0; s < samples; s++) {
      for (int i = 0; i < shapes.size(); i++) {
        for (long j = count(shapes.get(i)); j > 0; j--) {
          values.get(i).put((float) random.nextGaussian());
        }
      }
    }
    List<InputColumn> inputs = new ArrayList<>();
    for (int i = 0; i < shapes.size(); i++) {
      inputs.add(
          new InputColumn(
              signature.inputs().get(i).name(),
              Datatype.FP32,
              shapes.get(i),
              values.get(i).rewind()));
    }
    return new EvaluationData(inputs, null, "generated", samples);
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
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public boolean labelled() {
    return labels != null;
  }
}
