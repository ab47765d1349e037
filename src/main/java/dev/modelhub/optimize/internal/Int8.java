package dev.modelhub.optimize.internal;

/** Symmetric int8 quantization of weights, per tensor or per channel along one axis. */
final class Int8 {

  /** Quantized values with one scale per channel (one channel for per-tensor). */
  record Quantized(byte[] values, float[] scales) {}

  private Int8() {}

  /**
   * Quantizes a row-major tensor of {@code dims}. With {@code axis} < 0 one scale covers the whole
   * tensor; otherwise each index along {@code axis} gets its own scale.
   */
  static Quantized quantize(float[] w, long[] dims, int axis) {
    int channels = axis < 0 ? 1 : (int) dims[axis];
    long inner = 1;
    for (int d = axis + 1; axis >= 0 && d < dims.length; d++) {
      inner *= dims[d];
    }
    float[] max = new float[channels];
    for (int i = 0; i < w.length; i++) {
      int c = axis < 0 ? 0 : (int) ((i / inner) % channels);
      max[c] = Math.max(max[c], Math.abs(w[i]));
    }
    float[] scales = new float[channels];
    for (int c = 0; c < channels; c++) {
      scales[c] = max[c] == 0 ? 1f : max[c] / 127f;
    }
    byte[] q = new byte[w.length];
    for (int i = 0; i < w.length; i++) {
      int c = axis < 0 ? 0 : (int) ((i / inner) % channels);
      q[i] = (byte) Math.max(-127, Math.min(127, Math.round(w[i] / scales[c])));
    }
    return new Quantized(q, scales);
  }

  /** The row-major transpose of a [rows, cols] matrix. */
  static float[] transpose(float[] m, int rows, int cols) {
    float[] t = new float[m.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = m[r * cols + c];
      }
    }
    return t;
  }
}
