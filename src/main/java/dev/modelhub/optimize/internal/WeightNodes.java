package dev.modelhub.optimize.internal;

import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.TensorProto;
import java.util.ArrayList;
import java.util.List;

/** The MatMul, Gemm and Conv nodes whose weights are float initializers: what passes rewrite. */
final class WeightNodes {

  /** A node and its weight, seen as the [K, N] matrix the input is multiplied by. */
  record Linear(NodeProto node, TensorProto weight, int k, int n, boolean transposed) {}

  private WeightNodes() {}

  /**
   * MatMul(A, W) with W [K, N], and Gemm(A, W, C) with alpha = beta = 1 and no transA (W is [N, K]
   * when transB = 1). Other forms are left alone.
   */
  static List<Linear> linear(OnnxGraph graph) {
    List<Linear> found = new ArrayList<>();
    for (NodeProto node : graph.nodes()) {
      boolean matmul = node.getOpType().equals("MatMul") && node.getDomain().isEmpty();
      boolean gemm =
          node.getOpType().equals("Gemm")
              && node.getDomain().isEmpty()
              && OnnxGraph.floatAttribute(node, "alpha", 1f) == 1f
              && OnnxGraph.floatAttribute(node, "beta", 1f) == 1f
              && OnnxGraph.intAttribute(node, "transA", 0) == 0;
      if ((!matmul && !gemm) || node.getInputCount() < 2) {
        continue;
      }
      TensorProto w = graph.initializer(node.getInput(1));
      if (w == null
          || w.getDataType() != TensorProto.DataType.FLOAT_VALUE
          || w.getDimsCount() != 2
          || !countable(w.getDims(0))
          || !countable(w.getDims(1))) {
        continue;
      }
      boolean transposed = gemm && OnnxGraph.intAttribute(node, "transB", 0) == 1;
      int rows = (int) w.getDims(0);
      int cols = (int) w.getDims(1);
      found.add(
          new Linear(node, w, transposed ? cols : rows, transposed ? rows : cols, transposed));
    }
    return found;
  }

  /** A dimension a matrix of Java arrays can index: empty weights and giant ones are left alone. */
  private static boolean countable(long dim) {
    return dim > 0 && dim <= Integer.MAX_VALUE;
  }

  /** Conv nodes whose kernel is a float initializer. */
  static List<NodeProto> conv(OnnxGraph graph) {
    List<NodeProto> found = new ArrayList<>();
    for (NodeProto node : graph.nodes()) {
      if (node.getOpType().equals("Conv")
          && node.getDomain().isEmpty()
          && node.getInputCount() >= 2) {
        TensorProto w = graph.initializer(node.getInput(1));
        if (w != null && w.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
          found.add(node);
        }
      }
    }
    return found;
  }
}
