package dev.modelhub.serving.http;

import dev.modelhub.serving.ServingExceptions;
import java.util.Arrays;

/**
 * Tensor elements read from JSON before the datatype is known: numbers kept both as doubles and
 * (when integral) as longs, booleans as 0/1. {@link #toData} turns them into the array the datatype
 * needs, refusing what does not fit.
 */
final class NumberBuffer {

  private final long maxElements;
  private double[] doubles = new double[64];
  private long[] longs = new long[64];
  private boolean allIntegral = true;
  private boolean sawBoolean;
  private boolean sawNumber;
  private int size;
  private String problem;

  void addLong(long value) {
    grow();
    doubles[size] = value;
    longs[size] = value;
    size++;
    sawNumber = true;
  }

  void addDouble(double value) {
    grow();
    doubles[size] = value;
    longs[size] = (long) value;
    if (value != Math.rint(value) || Double.isInfinite(value)) {
      allIntegral = false;
    }
    size++;
    sawNumber = true;
  }

  void addBoolean(boolean value) {
    addLong(value ? 1 : 0);
    sawBoolean = true;
  }

  int size() {
    return size;
  }

  /**
   * Notes data that no datatype can take (strings, objects, huge integers). The input's name may
   * come after its data in the JSON, so the error is raised by {@link #toData}, which knows it.
   */
  void reject(String what) {
    if (problem == null) {
      problem = what;
    }
  }

  /** The elements as the array {@link dev.modelhub.serving.Tensor} holds for {@code datatype}. */
  Object toData(String name, String datatype) {
    if (problem != null) {
      throw ServingExceptions.invalidInput("Input '" + name + "' holds " + problem + ".");
    }
    return switch (datatype) {
      case "FP16", "BF16", "FP32", "FP64" -> {
        if (sawBoolean) {
          throw mismatch(name, datatype, "true/false");
        }
        yield Arrays.copyOf(doubles, size);
      }
      case "BOOL" -> {
        boolean[] values = new boolean[size];
        for (int i = 0; i < size; i++) {
          if (longs[i] != 0 && longs[i] != 1 || !allIntegral) {
            throw mismatch(name, datatype, "numbers other than 0 and 1");
          }
          values[i] = longs[i] == 1;
        }
        yield values;
      }
      case "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64" -> {
        if (!allIntegral) {
          throw mismatch(name, datatype, "non-integer numbers");
        }
        if (sawBoolean) {
          throw mismatch(name, datatype, "true/false");
        }
        long[] values = Arrays.copyOf(longs, size);
        checkRange(name, datatype, values);
        yield values;
      }
      case "BYTES" ->
          throw ServingExceptions.invalidInput(
              "Input '" + name + "' is BYTES, which this server does not pass to engines.");
      default ->
          throw ServingExceptions.invalidInput(
              "Input '" + name + "' has unknown datatype '" + datatype + "'.");
    };
  }

  private static void checkRange(String name, String datatype, long[] values) {
    long min;
    long max;
    switch (datatype) {
      case "INT8" -> {
        min = Byte.MIN_VALUE;
        max = Byte.MAX_VALUE;
      }
      case "INT16" -> {
        min = Short.MIN_VALUE;
        max = Short.MAX_VALUE;
      }
      case "INT32" -> {
        min = Integer.MIN_VALUE;
        max = Integer.MAX_VALUE;
      }
      case "UINT8" -> {
        min = 0;
        max = 255;
      }
      case "UINT16" -> {
        min = 0;
        max = 65_535;
      }
      case "UINT32" -> {
        min = 0;
        max = 4_294_967_295L;
      }
      case "UINT64" -> {
        min = 0;
        max = Long.MAX_VALUE;
      }
      default -> {
        min = Long.MIN_VALUE;
        max = Long.MAX_VALUE;
      }
    }
    for (long v : values) {
      if (v < min || v > max) {
        throw ServingExceptions.invalidInput(
            "Input '" + name + "' holds " + v + ", outside the range of " + datatype + ".");
      }
    }
  }

  private static RuntimeException mismatch(String name, String datatype, String what) {
    return ServingExceptions.invalidInput(
        "Input '" + name + "' is " + datatype + " but its data holds " + what + ".");
  }

  boolean isEmpty() {
    return !sawNumber;
  }

  /** A buffer that refuses to hold more than {@code maxElements} numbers. */
  NumberBuffer(long maxElements) {
    this.maxElements = maxElements;
  }

  NumberBuffer() {
    this(Integer.MAX_VALUE - 8);
  }

  private void grow() {
    if (size >= maxElements) {
      throw ServingExceptions.invalidInput(
          "An input holds more than "
              + maxElements
              + " numbers (modelhub.serving.max-tensor-elements).");
    }
    if (size == doubles.length) {
      int larger = (int) Math.min((long) size * 2, Math.min(maxElements, Integer.MAX_VALUE - 8));
      doubles = Arrays.copyOf(doubles, larger);
      longs = Arrays.copyOf(longs, larger);
    }
  }
}
