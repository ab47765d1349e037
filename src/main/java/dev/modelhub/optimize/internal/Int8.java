package dev.modelhub.optimize.internal;

/**
 * Symmetric int8 quantization of weights, per tensor or per channel along one axis, a block at a
 * time: {@link #scales} reads the tensor once for each channel's largest magnitude, then blocks are
 * quantized with {@link #quantize} as they are written.
 */
final class Int8 {

  /** How channels map to a row-major layout: flat index i is in channel (i / inner) % channels. */
  record Layout(int channels, long inner) {

    /** The layout of {@code axis} of {@code dims}; axis < 0 is one channel (per tensor). */
    static Layout of(long[] dims, int axis) {
      if (axis < 0) {
        return new Layout(1, Long.MAX_VALUE);
      }
      long inner = 1;
      for (int d = axis + 1; d < dims.length; d++) {
        inner *= dims[d];
      }
      return new Layout(Math.toIntExact(dims[axis]), inner);
    }

    int channel(long index) {
      return channels == 1 ? 0 : (int) ((index / inner) % channels);
    }
  }

  private Int8() {}

  /** Each channel's scale (its largest magnitude / 127, or 1 for an all-zero channel). */
  static float[] scales(OnnxGraph.FloatTensor w, Layout layout) {
    float[] max = new float[layout.channels()];
    w.blocks(
        (start, block, length) -> {
          for (int i = 0; i < length; i++) {
            int c = layout.channel(start + i);
            max[c] = Math.max(max[c], Math.abs(block[i]));
          }
        });
    float[] scales = new float[max.length];
    for (int c = 0; c < max.length; c++) {
      scales[c] = max[c] == 0 ? 1f : max[c] / 127f;
    }
    return scales;
  }

  /** Quantizes {@code values[0, length)}, whose first element has flat index {@code start}. */
  static void quantize(
      float[] values, int length, long start, Layout layout, float[] scales, byte[] into) {
    for (int i = 0; i < length; i++) {
      float scale = scales[layout.channel(start + i)];
      into[i] = (byte) Math.max(-127, Math.min(127, Math.round(values[i] / scale)));
    }
  }
}
