package dev.modelhub.optimize.internal;

import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * low-rank: factors a large 2-D MatMul/Gemm weight W [K, N] ≈ A·B with A [K, r] and B [r, N] by
 * truncated SVD (EJML, through the Gram matrix so that W is only ever read a block at a time), r
 * chosen by a rank ratio or by the share of energy (sum of squared singular values) to keep. A node
 * is factored only where r·(K + N) < K·N, so the variant always has fewer parameters.
 */
public final class LowRankPass implements Pass<PassParameters.LowRank> {

  @Override
  public String name() {
    return "low-rank";
  }

  @Override
  public Class<PassParameters.LowRank> parametersType() {
    return PassParameters.LowRank.class;
  }

  @Override
  public Class<? extends PassDetails> detailsType() {
    return PassDetails.Factored.class;
  }

  @Override
  public PassDetails apply(OnnxGraph graph, PassParameters.LowRank params, Set<String> keepFloat) {
    int minElements = params.minElements();
    Map<NodeProto, List<NodeProto>> replacements = new HashMap<>();
    Map<String, PassDetails.Factor> ranks = new LinkedHashMap<>();
    for (WeightNodes.Linear linear : WeightNodes.linear(graph)) {
      int k = linear.k();
      int n = linear.n();
      if ((long) k * n < minElements || Pass.excluded(linear.node(), params, keepFloat)) {
        continue;
      }
      NodeProto node = linear.node();
      String base = node.getName().isEmpty() ? graph.fresh(node.getOpType()) : node.getName();
      String a = graph.fresh(linear.weight().getName() + "_left");
      String b = graph.fresh(linear.weight().getName() + "_right");
      int rank = factor(graph, linear, params, a, b);
      if (rank < 0) {
        continue;
      }
      String hidden = graph.fresh(base + "_low_rank");
      List<NodeProto> pair = new ArrayList<>();
      pair.add(
          OnnxGraph.node(
              "MatMul",
              graph.fresh(base + "_left"),
              List.of(node.getInput(0), a),
              List.of(hidden)));
      if (node.getOpType().equals("Gemm") && node.getInputCount() > 2) {
        pair.add(
            OnnxGraph.node(
                "Gemm",
                graph.fresh(base + "_right"),
                List.of(hidden, b, node.getInput(2)),
                node.getOutputList()));
      } else {
        pair.add(
            OnnxGraph.node(
                "MatMul", graph.fresh(base + "_right"), List.of(hidden, b), node.getOutputList()));
      }
      replacements.put(node, pair);
      ranks.put(base, new PassDetails.Factor(rank, Math.min(k, n), List.of(k, n)));
    }
    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto node : graph.nodes()) {
      nodes.addAll(replacements.getOrDefault(node, List.of(node)));
    }
    graph.setNodes(nodes);
    for (NodeProto replaced : replacements.keySet()) {
      if (graph.consumers(replaced.getInput(1)) == 0) {
        graph.removeInitializer(replaced.getInput(1));
      }
    }
    return new PassDetails.Factored(ranks);
  }

  /**
   * Factors W [K, N] into {@code left} [K, r] and {@code right} [r, N] and adds both to the graph;
   * returns r, or -1 when factoring would not reduce the parameters.
   *
   * <p>With s = min(K, N), the Gram matrix G (WᵀW when N ≤ K, WWᵀ otherwise, s × s) is summed a
   * block of W at a time; its eigenvectors are W's right (or left) singular vectors and its
   * eigenvalues their squared singular values. The other factor is then W·V·Σ^-½ (or Σ^-½·Uᵀ·W),
   * computed block by block as it is written. The heap holds G, its eigenvectors and one block:
   * about 3·s² doubles, never W itself.
   */
  private static int factor(
      OnnxGraph graph,
      WeightNodes.Linear linear,
      PassParameters.LowRank params,
      String a,
      String b) {
    try (WeightMatrix m = new WeightMatrix(graph, linear)) {
      int k = m.k;
      int n = m.n;
      boolean tall = n <= k;
      int side = tall ? n : k;
      if ((long) side * side > Integer.MAX_VALUE - 8) {
        return -1; // a Gram matrix beyond one Java array: left unfactored
      }
      DMatrixRMaj gram = new DMatrixRMaj(side, side);
      if (tall) {
        int rows = m.rowBlock();
        float[] block = new float[rows * n];
        for (int first = 0; first < k; first += rows) {
          int count = Math.min(rows, k - first);
          m.rows(first, count, block);
          DMatrixRMaj x = matrix(block, count, n);
          CommonOps_DDRM.multAddTransA(x, x, gram);
        }
      } else {
        int cols = m.columnBlock();
        float[] block = new float[k * cols];
        for (int first = 0; first < n; first += cols) {
          int count = Math.min(cols, n - first);
          m.columns(first, count, block);
          DMatrixRMaj x = matrix(block, k, count);
          CommonOps_DDRM.multAddTransB(x, x, gram);
        }
      }
      EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(side, true, true);
      if (!eig.decompose(gram)) {
        return -1;
      }
      int count = eig.getNumberOfEigenvalues();
      double[] sigma = new double[count];
      for (int i = 0; i < count; i++) {
        sigma[i] = Math.sqrt(Math.max(0, eig.getEigenvalue(i).getReal()));
      }
      Integer[] order = new Integer[count];
      for (int i = 0; i < count; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (x, y) -> Double.compare(sigma[y], sigma[x]));
      int rank = rank(params, sigma, order);
      if ((long) rank * (k + n) >= (long) k * n) {
        return -1;
      }
      // The kept singular vectors (side × rank) and the square roots of their values.
      DMatrixRMaj basis = new DMatrixRMaj(side, rank);
      double[] root = new double[rank];
      double[] inverseRoot = new double[rank];
      double largest = sigma[order[0]];
      for (int j = 0; j < rank; j++) {
        DMatrixRMaj v = eig.getEigenVector(order[j]);
        for (int i = 0; i < side; i++) {
          basis.set(i, j, v == null ? 0 : v.get(i, 0));
        }
        double s = sigma[order[j]];
        root[j] = Math.sqrt(s);
        // A direction W does not use contributes nothing; 1/√σ would only amplify rounding.
        inverseRoot[j] = s > largest * 1e-9 ? 1 / Math.sqrt(s) : 0;
      }
      gram = null;
      eig = null;
      OnnxGraph.NewTensor left =
          graph.create(a, TensorProto.DataType.FLOAT_VALUE, new long[] {k, rank});
      OnnxGraph.NewTensor right =
          graph.create(b, TensorProto.DataType.FLOAT_VALUE, new long[] {rank, n});
      if (tall) {
        // left = W·V·Σ^-½, a block of rows at a time; right = Σ^½·Vᵀ.
        int rows = m.rowBlock();
        float[] block = new float[rows * n];
        DMatrixRMaj product = new DMatrixRMaj(1, 1);
        for (int first = 0; first < k; first += rows) {
          int c = Math.min(rows, k - first);
          m.rows(first, c, block);
          product.reshape(c, rank);
          CommonOps_DDRM.mult(matrix(block, c, n), basis, product);
          left.put((long) first * rank, scaled(product, inverseRoot, true), 0, c * rank);
        }
        DMatrixRMaj transposed = CommonOps_DDRM.transpose(basis, null);
        float[] rightValues = scaled(transposed, root, false);
        for (int j = 0; j < rank; j++) {
          right.put((long) j * n, rightValues, j * n, n);
        }
      } else {
        // left = U·Σ^½; right = Σ^-½·Uᵀ·W, a block of columns at a time.
        float[] leftValues = scaled(basis, root, true);
        for (int i = 0; i < k; i++) {
          left.put((long) i * rank, leftValues, i * rank, rank);
        }
        int cols = m.columnBlock();
        float[] block = new float[k * cols];
        DMatrixRMaj product = new DMatrixRMaj(1, 1);
        for (int first = 0; first < n; first += cols) {
          int c = Math.min(cols, n - first);
          m.columns(first, c, block);
          product.reshape(rank, c);
          CommonOps_DDRM.multTransA(basis, matrix(block, k, c), product);
          float[] values = scaled(product, inverseRoot, false);
          for (int j = 0; j < rank; j++) {
            right.put((long) j * n + first, values, j * c, c);
          }
        }
      }
      left.finish();
      right.finish();
      return rank;
    }
  }

  private static DMatrixRMaj matrix(float[] values, int rows, int cols) {
    DMatrixRMaj x = new DMatrixRMaj(rows, cols);
    for (int i = 0; i < rows * cols; i++) {
      x.data[i] = values[i];
    }
    return x;
  }

  /** The matrix as floats, each column (or row) j multiplied by {@code factors[j]}. */
  private static float[] scaled(DMatrixRMaj x, double[] factors, boolean columns) {
    float[] out = new float[x.numRows * x.numCols];
    for (int i = 0; i < x.numRows; i++) {
      for (int j = 0; j < x.numCols; j++) {
        out[i * x.numCols + j] = (float) (x.get(i, j) * factors[columns ? j : i]);
      }
    }
    return out;
  }

  private static int rank(PassParameters.LowRank params, double[] sigma, Integer[] order) {
    if (params.energy() != null) {
      double target = params.energy();
      double total = 0;
      for (double s : sigma) {
        total += s * s;
      }
      double kept = 0;
      for (int j = 0; j < order.length; j++) {
        kept += sigma[order[j]] * sigma[order[j]];
        if (kept >= target * total) {
          return j + 1;
        }
      }
      return order.length;
    }
    double ratio = params.rankRatio();
    return Math.max(1, (int) Math.ceil(ratio * order.length));
  }
}
