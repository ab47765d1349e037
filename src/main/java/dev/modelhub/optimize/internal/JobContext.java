package dev.modelhub.optimize.internal;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelhub.optimize.JobView;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A running job as its worker sees it: progress to report at the next heartbeat, and why it must
 * stop, if it must. The runner calls {@link #checkpoint()} between steps and inside long loops.
 */
public final class JobContext implements Interruption {

  /** Why a job stops before finishing. */
  public enum Stop {
    CANCELLED,
    LEASE_LOST,
    SHUTDOWN,
    TIMED_OUT
  }

  private final JobView job;
  private volatile Stop stop;
  private volatile int progress;
  private volatile String message = "running";
  private final long startedNanos = System.nanoTime();
  private volatile long stopRequestedNanos;
  private final Set<OrtSession.RunOptions> engineCalls = ConcurrentHashMap.newKeySet();
  private final Set<AutoCloseable> closedOnStop = ConcurrentHashMap.newKeySet();

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

  /**
   * Asks the job to stop at its next checkpoint (the first reason given wins), and ends any engine
   * call it is in.
   */
  public void stop(Stop reason) {
    if (stop == null) {
      stop = reason;
      stopRequestedNanos = System.nanoTime();
    }
    // A model the job holds open in an engine host (a distillation's teacher): closing it ends
    // the host, and with it any call that would otherwise never return.
    for (AutoCloseable resource : closedOnStop) {
      if (closedOnStop.remove(resource)) { // each closed once, whoever stops the job first
        // On a thread of its own: ending an engine host may take seconds, and the heartbeat
        // that stops the job serves every other job of the worker too.
        Thread closer =
            new Thread(
                () -> {
                  try {
                    resource.close();
                  } catch (Exception e) {
                    // closing is all that is wanted
                  }
                },
                "modelhub-job-close");
        closer.setDaemon(true);
        closer.start();
      }
    }
    // Under the lock tracking ends under: options are never touched once their evaluation closed
    // them (that would be a use of freed native memory).
    synchronized (engineCalls) {
      for (OrtSession.RunOptions options : engineCalls) {
        try {
          options.setTerminate(true);
        } catch (OrtException | IllegalStateException e) {
          // already closed
        }
      }
    }
  }

  @Override
  public boolean requested() {
    return stopping();
  }

  @Override
  public Tracked track(OrtSession.RunOptions options) {
    synchronized (engineCalls) {
      engineCalls.add(options);
    }
    if (stop != null) {
      stop(stop);
    }
    return () -> {
      synchronized (engineCalls) {
        engineCalls.remove(options);
      }
    };
  }

  /**
   * Closes {@code resource} as soon as the job is asked to stop (at once if it was already), until
   * the returned handle is closed.
   */
  public Tracked closeOnStop(AutoCloseable resource) {
    closedOnStop.add(resource);
    if (stop != null) {
      stop(stop);
    }
    return () -> closedOnStop.remove(resource);
  }

  /** How long ago the job was asked to stop (zero when it was not). */
  public Duration stopPending() {
    return stop == null ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - stopRequestedNanos);
  }

  /** How long the job has run on this worker. */
  public Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
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
