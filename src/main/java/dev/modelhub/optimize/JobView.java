package dev.modelhub.optimize;

import java.time.Instant;
import java.util.List;

/**
 * An optimization job as the API shows it.
 *
 * @param id job id
 * @param kind what the job does ({@code optimize})
 * @param model the model's name
 * @param version the parent version
 * @param pass the pass
 * @param params the pass's parameters, defaults filled in
 * @param status QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED
 * @param progress 0-100
 * @param message what it is doing now
 * @param attempts runs so far (a run taken over from a dead worker counts)
 * @param maxAttempts runs allowed before FAILED
 * @param cancelRequested whether cancellation was asked for (a running job stops at its next
 *     checkpoint)
 * @param error the last error
 * @param resultVersion the variant's version number, once registered
 * @param report the evaluation (and, in accuracy-aware mode, every attempt)
 * @param log the last log lines
 * @param createdAt when it was submitted
 * @param createdBy who submitted it
 * @param startedAt when it first started
 * @param finishedAt when it ended
 */
public record JobView(
    long id,
    String kind,
    String model,
    int version,
    String pass,
    PassParameters params,
    JobStatus status,
    int progress,
    String message,
    int attempts,
    int maxAttempts,
    boolean cancelRequested,
    String error,
    Integer resultVersion,
    OptimizationReport report,
    List<LogLine> log,
    Instant createdAt,
    String createdBy,
    Instant startedAt,
    Instant finishedAt) {

  /**
   * One line of a job's log.
   *
   * @param at when it was written
   * @param line what happened
   */
  public record LogLine(Instant at, String line) {}
}
