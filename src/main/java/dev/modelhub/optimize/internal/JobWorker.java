package dev.modelhub.optimize.internal;

import dev.modelhub.common.Backoff;
import dev.modelhub.common.ClientMessages;
import dev.modelhub.common.DaemonThreads;
import dev.modelhub.optimize.JobProperties;
import dev.modelhub.optimize.JobView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims jobs from the queue and runs them, up to {@code concurrency} at a time. A heartbeat renews
 * each job's lease and picks up cancellation; a job whose lease was taken over stops. On shutdown
 * running jobs stop at their next checkpoint and go back to the queue for another worker. {@link
 * #runNextJob()} is the loop's single step, for tests to drive.
 */
public class JobWorker {

  private static final Logger log = LoggerFactory.getLogger(JobWorker.class);

  private final String id;
  private final JobStore store;
  private final JobRunner runner;
  private final JobProperties properties;
  private final MeterRegistry meters;
  private final Map<Long, JobContext> running = new ConcurrentHashMap<>();
  private final AtomicInteger pollFailures = new AtomicInteger();
  private ScheduledExecutorService ticker;
  private ExecutorService runners;

  public JobWorker(
      String id, JobStore store, JobRunner runner, JobProperties properties, MeterRegistry meters) {
    this.id = id;
    this.store = store;
    this.runner = runner;
    this.properties = properties;
    this.meters = meters;
  }

  public String id() {
    return id;
  }

  public int runningJobs() {
    return running.size();
  }

  /** Consecutive failed polls (the database unreachable, say); the loop carries on. */
  public int pollFailures() {
    return pollFailures.get();
  }

  public synchronized void start() {
    runner.sweepWorkFolders();
    runners =
        Executors.newFixedThreadPool(properties.concurrency(), DaemonThreads.named("modelhub-job"));
    ticker = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("modelhub-job-ticker"));
    long poll = properties.pollInterval().toMillis();
    ticker.scheduleWithFixedDelay(this::poll, poll, poll, TimeUnit.MILLISECONDS);
    long beat = properties.lease().toMillis() / 3;
    ticker.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
  }

  /** Claims and runs one job on the calling thread; false when none was due. */
  public boolean runNextJob() {
    Optional<JobView> claimed = store.claim(id, properties.lease());
    claimed.ifPresent(job -> execute(new JobContext(job)));
    return claimed.isPresent();
  }

  /** Claims a job without running it, as a worker that dies right after claiming would. */
  public Optional<JobView> claimOnly() {
    return store.claim(id, properties.lease());
  }

  /** Runs a job this worker claimed earlier (even if its lease has since been taken over). */
  public void execute(JobView job) {
    execute(new JobContext(job));
  }

  private void poll() {
    try {
      while (running.size() < properties.concurrency()) {
        Optional<JobView> claimed = store.claim(id, properties.lease());
        if (claimed.isEmpty()) {
          break;
        }
        JobContext context = new JobContext(claimed.get());
        running.put(claimed.get().id(), context);
        runners.submit(() -> execute(context));
      }
      pollFailures.set(0);
    } catch (RuntimeException e) {
      pollFailures.incrementAndGet();
      log.warn("Job poll failed: {}", e.toString());
    }
  }

  private void heartbeat() {
    for (JobContext context : running.values()) {
      if (context.stopPending().compareTo(properties.lease()) > 0) {
        // Asked to stop a lease ago and still running: stuck outside any checkpoint. Its lease
        // is left to run out, so that it counts as an attempt and ends like a dead worker's.
        continue;
      }
      try {
        JobStore.Heartbeat beat =
            store.heartbeat(
                context.job().id(), id, properties.lease(), context.progress(), context.message());
        if (!beat.owned()) {
          context.stop(JobContext.Stop.LEASE_LOST);
        } else if (beat.cancelRequested()) {
          context.stop(JobContext.Stop.CANCELLED);
        } else if (context.elapsed().compareTo(properties.maxDuration()) > 0) {
          context.stop(JobContext.Stop.TIMED_OUT);
        }
      } catch (RuntimeException e) {
        log.warn("Heartbeat for job {} failed: {}", context.job().id(), e.toString());
      }
    }
  }

  private void execute(JobContext context) {
    JobView job = context.job();
    running.put(job.id(), context);
    String outcome = "failed";
    try {
      store.log(job.id(), "attempt " + job.attempts() + " on " + id);
      JobRunner.Result result = runner.run(context);
      outcome =
          store.succeed(job.id(), id, result.version(), result.report()) ? "succeeded" : "lost";
      log.info(
          "Job {} ({} on {} v{}) produced v{}",
          job.id(),
          job.pass(),
          job.model(),
          job.version(),
          result.version());
    } catch (JobContext.Stopped stopped) {
      outcome = stopped(job, stopped.reason());
    } catch (Evaluator.CancelledException cancelled) {
      outcome =
          stopped(
              job, context.stopReason() == null ? JobContext.Stop.CANCELLED : context.stopReason());
    } catch (AccuracyNotMet e) {
      store.log(job.id(), e.getMessage());
      store.fail(job.id(), id, e.getMessage(), e.report(), Duration.ZERO, true);
    } catch (Exception | Error e) {
      String raw = e.getClass().getSimpleName() + ": " + e.getMessage();
      log.warn("Job {} attempt {} failed: {}", job.id(), job.attempts(), raw);
      // Whoever may read the job sees what to fix, not the worker's folders.
      String error = ClientMessages.scrub(raw);
      store.log(job.id(), "attempt " + job.attempts() + " failed: " + error);
      store.fail(job.id(), id, error, null, backoff(job.attempts()), false);
      if (job.attempts() >= job.maxAttempts()) {
        runner.ended(job);
      }
    } finally {
      running.remove(job.id());
      Counter.builder("modelhub.jobs.finished")
          .description("Job runs by pass and outcome")
          .tag("pass", job.pass())
          .tag("outcome", outcome)
          .register(meters)
          .increment();
    }
  }

  private String stopped(JobView job, JobContext.Stop reason) {
    switch (reason) {
      case CANCELLED -> {
        store.markCancelled(job.id(), id);
        store.log(job.id(), "cancelled while running; nothing registered");
        return "cancelled";
      }
      case SHUTDOWN -> {
        store.release(job.id(), id);
        return "released";
      }
      case TIMED_OUT -> {
        String error =
            "ran longer than " + properties.maxDuration() + " (modelhub.jobs.max-duration)";
        store.log(job.id(), error);
        store.fail(job.id(), id, error, null, Duration.ZERO, true);
        runner.ended(job);
        return "failed";
      }
      default -> {
        log.info("Job {} was taken over by another worker; this run stops", job.id());
        return "lost";
      }
    }
  }

  private Duration backoff(int attempts) {
    // Doubling from retry-backoff, at most 1024 times it (about 8.5 hours from 30 s).
    return new Backoff(properties.retryBackoff(), properties.retryBackoff().multipliedBy(1024))
        .after(attempts);
  }

  /** Stops taking jobs; running ones stop at their next checkpoint and return to the queue. */
  public synchronized void stop() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
    running.values().forEach(c -> c.stop(JobContext.Stop.SHUTDOWN));
    if (runners != null) {
      runners.shutdown();
      try {
        if (!runners.awaitTermination(20, TimeUnit.SECONDS)) {
          runners.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // Whatever did not reach a checkpoint in time goes back to the queue with its attempt used,
    // so a job that hangs until every shutdown still ends after max-attempts.
    running.values().forEach(c -> store.releaseCounted(c.job().id(), id));
  }
}
