package dev.modelhub.serving;

import dev.modelhub.format.Datatype;
import java.util.Arrays;

/**
 * A named tensor on its way in or out of a model.
 *
 * @param name tensor name
 * @param datatype its Open Inference Protocol datatype
 * @param shape dimensions
 * @param data the elements
 */
public record Tensor(String name, Datatype datatype, long[] shape, TensorData data) {

  /** Number of elements the shape describes. */
  public static long elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public long elementCount() {
    return elements(shape);
  }

  @Override
  public String toString() {
    return name + " " + datatype + Arrays.toString(shape);
  }
}
