package dev.modelhub.serving;

/**
 * A tensor's elements in row-major order, as requests and answers carry them: reals (FP16, BF16,
 * FP32, FP64) as doubles, whole numbers (the INT and UINT types; UINT64 as the two's complement
 * bits of a long) as longs, BOOL as booleans, BYTES as strings — or, as the binary protocols carry
 * them, {@link Raw} little-endian bytes that go to the engine without being read one by one.
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

  /**
   * Fixed-width elements as the OIP binary extension and gRPC's raw contents carry them: row-major,
   * little-endian, {@code width} bytes each (BOOL one byte, FP16 and BF16 two). {@link TensorBytes}
   * reads them as numbers where numbers are needed.
   */
  record Raw(byte[] bytes, int width) implements TensorData {
    @Override
    public int length() {
      return bytes.length / width;
    }
  }

  /**
   * BYTES elements as the binary protocols carry them: any bytes (an encoded image for a pipeline),
   * read as UTF-8 text ({@link TensorBytes#text}) only where an engine takes them.
   */
  record Blobs(byte[][] values) implements TensorData {
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
