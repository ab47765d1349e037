package dev.modelhub.optimize;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A variant measured against its parent on the same data in the same run. A job that found no
 * setting within {@code maxAccuracyDrop} reports only its pass, parameters, data and attempts.
 *
 * @param pass the pass
 * @param params its parameters (the setting chosen, in accuracy-aware mode)
 * @param evaluatedOn the data: {@code dataset:<name> (<n> samples)} or generated inputs
 * @param parent the parent's size, parameters, latency and accuracy
 * @param variant the variant's
 * @param sizeRatio variant size / parent size
 * @param parameterRatio variant parameters / parent parameters, when the parent's are known
 * @param latencyRatio variant p50 latency / parent p50 latency
 * @param agreement how the outputs compare
 * @param passDetails what the pass did
 * @param compressedSizeBytes sizes after deflate, for passes whose gain shows only compressed
 *     (pruning stores zeros densely)
 * @param keptInFloat nodes the accuracy-aware search kept in float
 * @param attempts every setting the accuracy-aware search tried
 * @param evaluation how much of the data the comparison could afford, and how the models were
 *     loaded for it
 * @param resources what the pass took: time, peak heap and resident memory
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OptimizationReport(
    String pass,
    PassParameters params,
    String evaluatedOn,
    Side parent,
    Side variant,
    Double sizeRatio,
    Double parameterRatio,
    Double latencyRatio,
    Agreement agreement,
    PassDetails passDetails,
    Sizes compressedSizeBytes,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> keptInFloat,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Attempt> attempts,
    Evaluation evaluation,
    Resources resources) {

  /** The report of a search that found no setting within tolerance. */
  public static OptimizationReport searchFailed(
      String pass, PassParameters params, String evaluatedOn, List<Attempt> attempts) {
    return new OptimizationReport(
        pass,
        params,
        evaluatedOn,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        attempts,
        null,
        null);
  }

  /**
   * How the comparison was run.
   *
   * @param samples samples both models were compared on
   * @param samplesAvailable samples the data has: more than {@code samples} when the outputs of all
   *     would not fit the evaluation's heap
   * @param models {@code together} (both loaded, timed alternately) or {@code one at a time} (when
   *     two would not fit in the memory available: each loaded, run, timed and closed in turn)
   */
  public record Evaluation(int samples, int samplesAvailable, String models) {}

  /**
   * What applying the pass took.
   *
   * @param passSeconds wall time of the pass, reading the parent and writing the variant included
   * @param peakHeapBytes the pass process's peak heap (the sum of its pools' peaks: an upper bound)
   * @param heapLimitBytes the heap it was given ({@code modelhub.jobs.pass-heap})
   * @param peakRssBytes the pass process's peak resident memory
   */
  public record Resources(
      double passSeconds, Long peakHeapBytes, Long heapLimitBytes, Long peakRssBytes) {}

  /**
   * One side of the comparison.
   *
   * @param version the parent's version (absent for the variant, not registered yet)
   * @param sizeBytes artifact size
   * @param parameterCount weights, when known
   * @param latencyMs single-sample latency
   * @param accuracy top-1 accuracy on the labels, or null without labels
   */
  public record Side(
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer version,
      long sizeBytes,
      Long parameterCount,
      Latency latencyMs,
      Double accuracy) {}

  /** Latency percentiles in milliseconds. */
  public record Latency(double p50, double p95) {}

  /**
   * How the variant's outputs compare with the parent's.
   *
   * @param top1Agreement the share of samples whose top class is the same (classifiers)
   * @param maxAbsDiff the largest absolute difference of any output element
   * @param meanAbsDiff the mean absolute difference
   * @param accuracyDrop parent accuracy - variant accuracy, with labels
   */
  public record Agreement(
      Double top1Agreement, double maxAbsDiff, double meanAbsDiff, Double accuracyDrop) {}

  /** Parent and variant sizes. */
  public record Sizes(long parent, long variant) {}

  /**
   * One setting the accuracy-aware search tried.
   *
   * @param attempt its number
   * @param setting what it tried: the requested setting, per-channel scales, nodes kept in float
   * @param params the parameters
   * @param keptInFloat nodes kept in float
   * @param accuracy the variant's accuracy
   * @param accuracyDrop the drop from the parent's
   * @param top1Agreement agreement with the parent
   * @param withinTolerance whether the drop was within maxAccuracyDrop
   */
  public record Attempt(
      Integer attempt,
      String setting,
      PassParameters params,
      List<String> keptInFloat,
      Double accuracy,
      Double accuracyDrop,
      Double top1Agreement,
      Boolean withinTolerance) {}
}
