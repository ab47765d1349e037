package dev.modelhub.optimize.internal;

import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import dev.modelhub.optimize.PruneScope;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * prune-magnitude: zeroes the smallest-magnitude MatMul/Gemm/Conv weights until the target sparsity
 * is reached, across all weights ("global") or within each layer ("layer"). Biases are left alone.
 * The file does not shrink (zeros are stored densely); the report gives the size after standard
 * compression, which does.
 */
public final class PruneMagnitudePass implements Pass<PassParameters.PruneMagnitude> {

  @Override
  public String name() {
    return "prune-magnitude";
  }

  @Override
  public Class<PassParameters.PruneMagnitude> parametersType() {
    return PassParameters.PruneMagnitude.class;
  }

  @Override
  public Class<? extends PassDetails> detailsType() {
    return PassDetails.Pruned.class;
  }

  @Override
  public boolean gainShowsCompressed() {
    return true;
  }

  @Override
  public PassDetails apply(
      OnnxGraph graph, PassParameters.PruneMagnitude params, Set<String> keepFloat) {
    double sparsity = params.sparsity();
    boolean global = params.scope() == PruneScope.GLOBAL;
    Set<String> weights = new LinkedHashSet<>();
    for (WeightNodes.Linear linear : WeightNodes.linear(graph)) {
      if (!Pass.excluded(linear.node(), params, keepFloat)) {
        weights.add(linear.weight().getName());
      }
    }
    for (NodeProto conv : WeightNodes.conv(graph)) {
      if (!Pass.excluded(conv, params, keepFloat)) {
        weights.add(conv.getInput(1));
      }
    }
    List<TensorProto> tensors = weights.stream().map(graph::initializer).toList();
    float globalThreshold = global ? threshold(graph, tensors, sparsity) : 0f;
    long total = 0;
    long zeros = 0;
    Map<String, Double> perLayer = new LinkedHashMap<>();
    for (TensorProto original : tensors) {
      float threshold = global ? globalThreshold : threshold(graph, List.of(original), sparsity);
      long[] dims = original.getDimsList().stream().mapToLong(Long::longValue).toArray();
      OnnxGraph.NewTensor out =
          graph.create(original.getName(), TensorProto.DataType.FLOAT_VALUE, dims);
      long[] layerZeros = {0};
      try (OnnxGraph.FloatTensor in = graph.open(original)) {
        in.blocks(
            (start, block, length) -> {
              for (int i = 0; i < length; i++) {
                if (Math.abs(block[i]) < threshold) {
                  block[i] = 0f;
                }
                if (block[i] == 0f) {
                  layerZeros[0]++;
                }
              }
              out.put(start, block, 0, length);
            });
        perLayer.put(original.getName(), JobRunner.round((double) layerZeros[0] / in.elements()));
        total += in.elements();
      }
      out.finish();
      zeros += layerZeros[0];
    }
    return new PassDetails.Pruned(
        sparsity, total == 0 ? 0.0 : JobRunner.round((double) zeros / total), total, perLayer);
  }

  /**
   * The magnitude below which weights are zeroed so that a fraction {@code sparsity} of all the
   * given weights are zero: the k-th smallest magnitude, found by radix selection on the bits of
   * the magnitudes (whose order as integers is their order as floats) — two passes over the data
   * with 65,536 counters each, so that tensors of any size need no sorted copy.
   */
  static float threshold(OnnxGraph graph, List<TensorProto> tensors, double sparsity) {
    long n = tensors.stream().mapToLong(OnnxGraph::elements).reduce(0, Math::addExact);
    long k = Math.round(sparsity * n);
    if (k == 0) {
      return 0f;
    }
    if (k >= n) {
      return Float.POSITIVE_INFINITY;
    }
    long[] high = new long[1 << 16];
    count(graph, tensors, -1, high);
    int top = select(high, k);
    long below = 0;
    for (int h = 0; h < top; h++) {
      below += high[h];
    }
    long[] low = new long[1 << 16];
    count(graph, tensors, top, low);
    int bottom = select(low, k - below);
    return Float.intBitsToFloat((top << 16) | bottom);
  }

  /**
   * Counts magnitudes by their high 16 bits, or (with {@code top} ≥ 0) those whose high bits are
   * {@code top} by their low 16 bits.
   */
  private static void count(OnnxGraph graph, List<TensorProto> tensors, int top, long[] counts) {
    for (TensorProto t : tensors) {
      try (OnnxGraph.FloatTensor in = graph.open(t)) {
        in.blocks(
            (start, block, length) -> {
              for (int i = 0; i < length; i++) {
                int bits = Float.floatToRawIntBits(Math.abs(block[i])) & 0x7fffffff;
                if (top < 0) {
                  counts[bits >>> 16]++;
                } else if (bits >>> 16 == top) {
                  counts[bits & 0xffff]++;
                }
              }
            });
      }
    }
  }

  /** The bucket holding the element of rank {@code k} (0-based) in counted order. */
  private static int select(long[] counts, long k) {
    long seen = 0;
    for (int b = 0; b < counts.length; b++) {
      seen += counts[b];
      if (seen > k) {
        return b;
      }
    }
    return counts.length - 1;
  }
}
