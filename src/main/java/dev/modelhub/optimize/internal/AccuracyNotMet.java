package dev.modelhub.optimize.internal;

import dev.modelhub.optimize.OptimizationReport;

/** No setting kept the accuracy drop within maxAccuracyDrop: a final failure, with the report. */
public final class AccuracyNotMet extends RuntimeException {

  private final transient OptimizationReport report;

  public AccuracyNotMet(String message, OptimizationReport report) {
    super(message);
    this.report = report;
  }

  public OptimizationReport report() {
    return report;
  }
}
