package dev.modelhub.optimize.internal;

import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import dev.modelhub.optimize.PruneScope;
import java.util.Arrays;
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
    Map<String, float[]> values = new LinkedHashMap<>();
    for (String name : weights) {
      values.put(name, graph.floats(graph.initializer(name)));
    }
    if (global) {
      float threshold = threshold(values.values().stream().toList(), sparsity);
      values.values().forEach(v -> zeroBelow(v, threshold));
    } else {
      values.values().forEach(v -> zeroBelow(v, threshold(List.of(v), sparsity)));
    }
    long total = 0;
    long zeros = 0;
    Map<String, Double> perLayer = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> entry : values.entrySet()) {
      TensorProto original = graph.initializer(entry.getKey());
      long[] dims = original.getDimsList().stream().mapToLong(Long::longValue).toArray();
      graph.putInitializer(OnnxGraph.floatTensor(entry.getKey(), dims, entry.getValue()));
      long layerZeros = 0;
      for (float v : entry.getValue()) {
        if (v == 0f) {
          layerZeros++;
        }
      }
      perLayer.put(entry.getKey(), JobRunner.round((double) layerZeros / entry.getValue().length));
      zeros += layerZeros;
      total += entry.getValue().length;
    }
    return new PassDetails.Pruned(
        sparsity, total == 0 ? 0.0 : JobRunner.round((double) zeros / total), total, perLayer);
  }

  /**
   * The magnitude below which weights are zeroed so that a fraction {@code sparsity} of all the
   * given weights are zero (ties at the threshold are broken by {@link #zeroBelow}).
   */
  private static float threshold(List<float[]> tensors, double sparsity) {
    int n = tensors.stream().mapToInt(t -> t.length).sum();
    float[] magnitudes = new float[n];
    int i = 0;
    for (float[] t : tensors) {
      for (float v : t) {
        magnitudes[i++] = Math.abs(v);
      }
    }
    Arrays.sort(magnitudes);
    int k = (int) Math.round(sparsity * n);
    return k == 0 ? 0f : k >= n ? Float.POSITIVE_INFINITY : magnitudes[k];
  }

  private static void zeroBelow(float[] values, float threshold) {
    for (int i = 0; i < values.length; i++) {
      if (Math.abs(values[i]) < threshold) {
        values[i] = 0f;
      }
    }
  }
}
