package dev.modelhub.optimize.internal;

import dev.modelhub.common.FileTrees;
import dev.modelhub.optimize.OptimizationReport;
import dev.modelhub.optimize.PassParameters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Accuracy-aware mode: tries the requested setting, then more conservative ones, until the
 * variant's accuracy drop is within {@code maxAccuracyDrop} — per-channel scales first, then
 * keeping the most sensitive nodes in float one at a time. Sensitivity is measured: each candidate
 * node is quantized alone and ranked by the accuracy it costs. A variant with every candidate kept
 * in float would be no variant, so the search stops one short of that. Every attempt is reported.
 */
final class AccuracySearch {

  private final JobRunner runner;
  private final Pass<?> pass;
  private final PassParameters requested;
  private final Path parentFile;
  private final EvaluationData data;
  private final Path work;
  private final JobContext context;
  private final double maxDrop;
  private int attemptNumber;

  AccuracySearch(
      JobRunner runner,
      Pass<?> pass,
      PassParameters requested,
      Path parentFile,
      EvaluationData data,
      Path work,
      JobContext context,
      double maxDrop) {
    this.runner = runner;
    this.pass = pass;
    this.requested = requested;
    this.parentFile = parentFile;
    this.data = data;
    this.work = work;
    this.context = context;
    this.maxDrop = maxDrop;
  }

  /**
   * The first attempt within tolerance (re-measured with latency), or null; fills {@code attempts}.
   */
  JobRunner.Trial run(List<OptimizationReport.Attempt> attempts) throws Exception {
    PassParameters params = requested;
    JobRunner.Trial attempt = tryOnce(params, Set.of(), "requested setting", attempts);
    if (within(attempt)) {
      return remeasure(attempt);
    }
    PassParameters perChannel = pass.moreConservativeFor(params);
    if (perChannel != null) {
      params = perChannel;
      attempt = tryOnce(params, Set.of(), "per-channel scales", attempts);
      if (within(attempt)) {
        return remeasure(attempt);
      }
    }
    Path candidatesDir = work.resolve("candidates");
    List<String> candidates = runner.candidates(pass, params, parentFile, candidatesDir, context);
    FileTrees.deleteQuietly(candidatesDir);
    if (candidates.size() < 2) {
      return null;
    }
    List<String> ranked = rank(params, candidates);
    Set<String> keep = new LinkedHashSet<>();
    for (int i = 0; i < ranked.size() - 1; i++) {
      keep.add(ranked.get(i));
      attempt = tryOnce(params, Set.copyOf(keep), "keeping " + keep + " in float", attempts);
      if (within(attempt)) {
        return remeasure(attempt);
      }
    }
    return null;
  }

  /** Candidates by the accuracy drop each causes when it alone is quantized, worst first. */
  private List<String> rank(PassParameters params, List<String> candidates) throws Exception {
    Map<String, double[]> error = new LinkedHashMap<>();
    for (String candidate : candidates) {
      Set<String> others = new LinkedHashSet<>(candidates);
      others.remove(candidate);
      JobRunner.Trial alone =
          runner.attempt(
              pass,
              params,
              others,
              parentFile,
              data,
              work.resolve("sensitivity-" + error.size()),
              context,
              false);
      FileTrees.deleteQuietly(alone.file().getParent());
      error.put(candidate, new double[] {alone.drop(), alone.comparison().meanAbsDiff()});
      runner.log(
          context,
          "sensitivity of " + candidate + ": accuracy drop " + JobRunner.round(alone.drop()));
    }
    List<String> ranked = new ArrayList<>(candidates);
    ranked.sort(
        Comparator.comparingDouble((String c) -> error.get(c)[0])
            .thenComparingDouble(c -> error.get(c)[1])
            .reversed());
    return ranked;
  }

  private JobRunner.Trial tryOnce(
      PassParameters params,
      Set<String> keep,
      String label,
      List<OptimizationReport.Attempt> attempts)
      throws Exception {
    JobRunner.Trial attempt =
        runner.attempt(
            pass,
            params,
            keep,
            parentFile,
            data,
            work.resolve("attempt-" + (++attemptNumber)),
            context,
            false);
    attempts.add(attempt.summary(attemptNumber, label, within(attempt)));
    // Only its figures are kept: the chosen setting is applied again for the variant.
    FileTrees.deleteQuietly(attempt.file().getParent());
    runner.log(
        context,
        "attempt "
            + attemptNumber
            + " ("
            + label
            + "): accuracy drop "
            + JobRunner.round(attempt.drop()));
    context.progress(
        Math.min(85, 25 + 5 * attemptNumber), "accuracy-aware attempt " + attemptNumber);
    return attempt;
  }

  private boolean within(JobRunner.Trial attempt) {
    return attempt.drop() != null && attempt.drop() <= maxDrop;
  }

  private JobRunner.Trial remeasure(JobRunner.Trial attempt) throws Exception {
    return runner.attempt(
        pass,
        attempt.params(),
        attempt.keptFloat(),
        parentFile,
        data,
        work.resolve("chosen"),
        context,
        true);
  }
}
