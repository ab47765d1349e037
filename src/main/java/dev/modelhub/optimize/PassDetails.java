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

  /**
   * distill.
   *
   * @param student the student trained (an auto student with its derived widths)
   * @param studentParameters its parameter count
   * @param teacherFormat the teacher's format (its engine produced the soft targets)
   * @param transferSamples samples trained on (augmented copies included)
   * @param heldOutSamples samples held out for early stopping
   * @param augmentedSamples of the transfer samples, the augmented copies
   * @param labelsUsed whether the hard-label term was trained (a labelled set and alpha below 1)
   * @param epochsRun epochs completed
   * @param bestEpoch the epoch whose weights were exported
   * @param stoppedEarly whether early stopping ended training before {@code epochs}
   * @param resumedAfterEpoch the checkpoint the last run continued from (null: from the start)
   * @param epochs each epoch's figures
   * @param teacherSeconds time the teacher took to score the transfer set
   * @param trainingSeconds training time of the last run
   * @param exportMaxAbsDiff the largest difference between the exported ONNX student's outputs and
   *     the trained network's, on held-out samples
   */
  record Distilled(
      PassParameters.Student student,
      long studentParameters,
      String teacherFormat,
      int transferSamples,
      int heldOutSamples,
      int augmentedSamples,
      boolean labelsUsed,
      int epochsRun,
      int bestEpoch,
      boolean stoppedEarly,
      Integer resumedAfterEpoch,
      List<DistillEpoch> epochs,
      double teacherSeconds,
      double trainingSeconds,
      double exportMaxAbsDiff)
      implements PassDetails {}

  /**
   * One epoch of distillation.
   *
   * @param epoch 1-based
   * @param loss the mean training loss
   * @param heldOutLoss the loss on the held-out slice
   * @param heldOutAgreement the share of held-out samples on which student and teacher agree
   * @param heldOutAccuracy the held-out accuracy (null without labels)
   * @param best whether these weights were the best so far
   */
  record DistillEpoch(
      int epoch,
      double loss,
      double heldOutLoss,
      double heldOutAgreement,
      Double heldOutAccuracy,
      boolean best) {}
}
