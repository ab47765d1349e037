package dev.modelhub.serving;

import java.util.Arrays;

/**
 * A named tensor on its way in or out of a model.
 *
 * <p>{@code data} holds the elements in row-major order: a {@code double[]} for
 * FP16/BF16/FP32/FP64, a {@code long[]} for the integer types, a {@code boolean[]} for BOOL.
 *
 * @param name tensor name
 * @param datatype Open Inference Protocol datatype
 * @param shape dimensions
 * @param data the elements
 */
public record Tensor(String name, String datatype, long[] shape, Object data) {

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
