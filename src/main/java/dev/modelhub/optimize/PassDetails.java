package dev.modelhub.optimize;

import java.util.List;
import java.util.Map;

/** What a pass did to the graph, reported with the variant. */
public sealed interface PassDetails {

  /**
   * The int8 passes.
   *
   * @param quantizedNodes the nodes whose weights went to int8
   * @param perChannel whether scales are per output channel
   */
  record Quantized(List<String> quantizedNodes, boolean perChannel) implements PassDetails {}

  /**
   * convert-fp16.
   *
   * @param convertedInitializers weights stored in fp16
   * @param nodesKeptInFp32 nodes computed in fp32 between Casts (block list and excluded)
   */
  record HalfPrecision(int convertedInitializers, int nodesKeptInFp32) implements PassDetails {}

  /**
   * prune-magnitude.
   *
   * @param targetSparsity the share asked for
   * @param achievedSparsity the share of the pruned weights now zero
   * @param prunedWeights the weights considered
   * @param layerSparsity per weight tensor, the share now zero
   */
  record Pruned(
      double targetSparsity,
      double achievedSparsity,
      long prunedWeights,
      Map<String, Double> layerSparsity)
      implements PassDetails {}

  /**
   * low-rank.
   *
   * @param factoredNodes per factored node, its kept and full rank and weight shape
   */
  record Factored(Map<String, Factor> factoredNodes) implements PassDetails {}

  /**
   * One factored weight.
   *
   * @param rank the kept rank r (W ≈ A·B, A [K, r], B [r, N])
   * @param fullRank min(K, N)
   * @param shape [K, N]
   */
  record Factor(int rank, int fullRank, List<Integer> shape) {}
}
