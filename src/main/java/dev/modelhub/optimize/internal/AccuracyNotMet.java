package dev.modelhub.optimize.internal;

import java.util.Map;

/** No setting kept the accuracy drop within maxAccuracyDrop: a final failure, with the report. */
public final class AccuracyNotMet extends RuntimeException {

  private final Map<String, Object> report;

  public AccuracyNotMet(String message, Map<String, Object> report) {
    super(message);
    this.report = report;
  }

  public Map<String, Object> report() {
    return report;
  }
}
