package dev.modelhub.optimize.internal;

import dev.modelhub.optimize.JobView;

/**
 * A running job as its worker sees it: progress to report at the next heartbeat, and why it must
 * stop, if it must. The runner calls {@link #checkpoint()} between steps and inside long loops.
 */
public final class JobContext {

  /** Why a job stops before finishing. */
  public enum Stop {
    CANCELLED,
    LEASE_LOST,
    SHUTDOWN
  }

  private final JobView job;
  private volatile Stop stop;
  private volatile int progress;
  private volatile String message = "running";

  public JobContext(JobView job) {
    this.job = job;
  }

  public JobView job() {
    return job;
  }

  public void progress(int percent, String message) {
    this.progress = percent;
    this.message = message;
  }

  public int progress() {
    return progress;
  }

  public String message() {
    return message;
  }

  /** Asks the job to stop at its next checkpoint (the first reason given wins). */
  public void stop(Stop reason) {
    if (stop == null) {
      stop = reason;
    }
  }

  public boolean stopping() {
    return stop != null;
  }

  public Stop stopReason() {
    return stop;
  }

  /** Throws {@link Stopped} if the job was asked to stop. */
  public void checkpoint() {
    if (stop != null) {
      throw new Stopped(stop);
    }
  }

  /** Unwinds a job that must stop. */
  public static final class Stopped extends RuntimeException {
    private final Stop reason;

    Stopped(Stop reason) {
      super(reason.name().toLowerCase());
      this.reason = reason;
    }

    public Stop reason() {
      return reason;
    }
  }
}
