package dev.modelhub.optimize.internal;

/**
 * A 2-D weight seen as the [K, N] matrix a MatMul multiplies by, whichever way it is stored (a Gemm
 * with transB stores it [N, K]), read a block of rows or columns at a time from wherever the
 * tensor's data is, so that a pass never holds more of it than a block.
 */
final class WeightMatrix implements AutoCloseable {

  final int k;
  final int n;
  private final boolean transposed;
  private final OnnxGraph.FloatTensor data;
  private float[] scratch;

  WeightMatrix(OnnxGraph graph, WeightNodes.Linear linear) {
    this.k = linear.k();
    this.n = linear.n();
    this.transposed = linear.transposed();
    this.data = graph.open(linear.weight());
  }

  /** Rows per block: about {@link OnnxGraph#BLOCK} elements, at least one row. */
  int rowBlock() {
    return Math.max(1, OnnxGraph.BLOCK / n);
  }

  /** Columns per block: about {@link OnnxGraph#BLOCK} elements, at least one column. */
  int columnBlock() {
    return Math.max(1, OnnxGraph.BLOCK / k);
  }

  /** Rows {@code [first, first + count)}, row-major {@code count × n}, into {@code into}. */
  void rows(int first, int count, float[] into) {
    if (!transposed) {
      data.read((long) first * n, into, 0, count * n);
      return;
    }
    float[] segment = scratch(count);
    for (int j = 0; j < n; j++) {
      data.read((long) j * k + first, segment, 0, count);
      for (int i = 0; i < count; i++) {
        into[i * n + j] = segment[i];
      }
    }
  }

  /** Columns {@code [first, first + count)}, row-major {@code k × count}, into {@code into}. */
  void columns(int first, int count, float[] into) {
    if (!transposed) {
      for (int i = 0; i < k; i++) {
        data.read((long) i * n + first, into, i * count, count);
      }
      return;
    }
    float[] stored = scratch(count * k);
    data.read((long) first * k, stored, 0, count * k);
    for (int c = 0; c < count; c++) {
      for (int i = 0; i < k; i++) {
        into[i * count + c] = stored[c * k + i];
      }
    }
  }

  private float[] scratch(int length) {
    if (scratch == null || scratch.length < length) {
      scratch = new float[length];
    }
    return scratch;
  }

  @Override
  public void close() {
    data.close();
  }
}
