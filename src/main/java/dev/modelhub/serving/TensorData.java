package dev.modelhub.serving;

/**
 * A tensor's elements in row-major order, as requests and answers carry them: reals (FP16, BF16,
 * FP32, FP64) as doubles, whole numbers (the INT and UINT types; UINT64 as the two's complement
 * bits of a long) as longs, BOOL as booleans, BYTES as strings.
 */
public sealed interface TensorData {

  /** The number of elements. */
  int length();

  /** Floating-point elements. */
  record Reals(double[] values) implements TensorData {
    @Override
    public int length() {
      return values.length;
    }
  }

  /** Whole-number elements. */
  record Integers(long[] values) implements TensorData {
    @Override
    public int length() {
      return values.length;
    }
  }

  /** BYTES elements (UTF-8 text, as ONNX Runtime's string tensors hold). */
  record Strings(String[] values) implements TensorData {
    @Override
    public int length() {
      return values.length;
    }
  }

  /** true/false elements. */
  record Booleans(boolean[] values) implements TensorData {
    @Override
    public int length() {
      return values.length;
    }
  }
}
