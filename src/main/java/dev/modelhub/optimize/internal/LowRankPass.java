package dev.modelhub.optimize.internal;

import dev.modelhub.onnx.NodeProto;
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
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * low-rank: factors a large 2-D MatMul/Gemm weight W [K, N] ≈ A·B with A [K, r] and B [r, N] by
 * truncated SVD (EJML), r chosen by a rank ratio or by the share of energy (sum of squared singular
 * values) to keep. A node is factored only where r·(K + N) < K·N, so the variant always has fewer
 * parameters.
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
      float[] w = graph.floats(linear.weight());
      if (linear.transposed()) {
        w = Int8.transpose(w, n, k);
      }
      DMatrixRMaj matrix = new DMatrixRMaj(k, n);
      for (int i = 0; i < w.length; i++) {
        matrix.data[i] = w[i];
      }
      SingularValueDecomposition_F64<DMatrixRMaj> svd =
          DecompositionFactory_DDRM.svd(k, n, true, true, true);
      if (!svd.decompose(matrix)) {
        continue;
      }
      double[] sigma = svd.getSingularValues();
      int count = svd.numberOfSingularValues();
      Integer[] order = new Integer[count];
      for (int i = 0; i < count; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Double.compare(sigma[b], sigma[a]));
      int rank = rank(params, sigma, order);
      if ((long) rank * (k + n) >= (long) k * n) {
        continue;
      }
      DMatrixRMaj u = svd.getU(null, false);
      DMatrixRMaj v = svd.getV(null, false);
      float[] left = new float[k * rank];
      float[] right = new float[rank * n];
      for (int j = 0; j < rank; j++) {
        int s = order[j];
        double root = Math.sqrt(sigma[s]);
        for (int i = 0; i < k; i++) {
          left[i * rank + j] = (float) (u.get(i, s) * root);
        }
        for (int c = 0; c < n; c++) {
          right[j * n + c] = (float) (v.get(c, s) * root);
        }
      }
      NodeProto node = linear.node();
      String base = node.getName().isEmpty() ? graph.fresh(node.getOpType()) : node.getName();
      String a = graph.fresh(linear.weight().getName() + "_left");
      String b = graph.fresh(linear.weight().getName() + "_right");
      graph.putInitializer(OnnxGraph.floatTensor(a, new long[] {k, rank}, left));
      graph.putInitializer(OnnxGraph.floatTensor(b, new long[] {rank, n}, right));
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
