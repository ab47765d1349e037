package dev.modelhub.serving.internal;

import dev.modelhub.common.DaemonThreads;
import dev.modelhub.common.FileTrees;
import dev.modelhub.registry.AliasTarget;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Loads versions: download (through the artifact cache), verify, unpack, load into the engine, warm
 * up. Each load runs on a thread of its own once one of {@code load-threads} places is free, and
 * has {@code load-timeout}: past it the load fails (retried with backoff like any failure), its
 * place goes to the next load, and whatever the stuck thread produces when it returns is closed. A
 * hung load therefore never makes other models' loads wait.
 */
public class ModelLoads implements AutoCloseable {

  private final ArtifactCache cache;
  private final ModelLoader loader;
  private final ServingMetrics metrics;
  private final Duration timeout;
  private final Semaphore places;
  private final MemoryBudget budget;
  private final long perVersionOverhead;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(DaemonThreads.named("modelhub-model-load"));
  private final ScheduledExecutorService deadlines =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("modelhub-load-deadline"));

  /** Versions whose load overran its deadline and whose thread has not returned yet. */
  private final Set<VersionKey> hung = ConcurrentHashMap.newKeySet();

  public ModelLoads(
      ArtifactCache cache,
      ModelLoader loader,
      ServingMetrics metrics,
      Duration timeout,
      int loadThreads,
      MemoryBudget budget,
      long perVersionOverhead) {
    this.cache = cache;
    this.loader = loader;
    this.metrics = metrics;
    this.timeout = timeout;
    this.places = new Semaphore(loadThreads);
    this.budget = budget;
    this.perVersionOverhead = perVersionOverhead;
    metrics.watch(budget);
  }

  /** Whether the last load of {@code key} is stuck past its deadline (retry once it returns). */
  boolean hung(VersionKey key) {
    return hung.contains(key);
  }

  /** Starts loading {@code target}; the future fails with {@link LoadFailed}. */
  CompletableFuture<LoadedVersion> load(AliasTarget target) {
    CompletableFuture<LoadedVersion> result = new CompletableFuture<>();
    threads.execute(() -> run(target, result));
    return result;
  }

  private void run(AliasTarget target, CompletableFuture<LoadedVersion> result) {
    try {
      places.acquire();
    } catch (InterruptedException e) {
      result.completeExceptionally(new LoadFailed(target, e));
      return;
    }
    VersionKey key = VersionKey.of(target);
    AtomicBoolean placeHeld = new AtomicBoolean(true);
    AtomicBoolean finished = new AtomicBoolean();
    Runnable givePlaceBack =
        () -> {
          if (placeHeld.compareAndSet(true, false)) {
            places.release();
          }
        };
    deadlines.schedule(
        () -> {
          synchronized (hung) {
            if (!finished.get() && result.completeExceptionally(overran(target))) {
              hung.add(key);
            }
          }
          givePlaceBack.run();
        },
        timeout.toMillis(),
        TimeUnit.MILLISECONDS);
    Timer.Sample sample = metrics.startTimer();
    long started = System.nanoTime();
    try {
      LoadedVersion loaded = loadPinned(target);
      if (result.complete(loaded)) {
        metrics.loaded(target.model(), "success", sample);
        metrics.versionLoaded(loaded, (System.nanoTime() - started) / 1e9);
      } else {
        loaded.discard(); // it overran its deadline: nobody waits for it any more
        cache.release(target.digest());
      }
    } catch (Exception | Error e) {
      metrics.loaded(target.model(), "failure", sample);
      result.completeExceptionally(new LoadFailed(target, e));
    } finally {
      synchronized (hung) {
        finished.set(true);
        hung.remove(key);
      }
      givePlaceBack.run();
    }
  }

  /** Loads from the cached artifact, which stays pinned while the version is loaded. */
  private LoadedVersion loadPinned(AliasTarget target) throws Exception {
    Path dir = cache.acquire(target.digest(), target.format(), target.sizeBytes());
    MemoryBudget.Reservation reservation = null;
    try {
      // The engine holds about the artifact's unpacked bytes, plus its host's own footprint.
      long estimate = FileTrees.sizeOf(dir) + perVersionOverhead;
      reservation = budget.reserve(target.model() + " v" + target.version(), estimate);
      LoadedVersion loaded = loader.load(target, dir);
      reservation.measured(loaded.residentBytes());
      loaded.onClose(reservation::release);
      return loaded;
    } catch (Exception | Error e) {
      if (reservation != null) {
        reservation.release();
      }
      cache.release(target.digest());
      throw e;
    }
  }

  private LoadFailed overran(AliasTarget target) {
    return new LoadFailed(
        target,
        new TimeoutException(
            "the load took longer than " + timeout + " (modelhub.serving.load-timeout)"));
  }

  /**
   * Stops loading; waits up to load-timeout for loads already in the engine, which cannot be
   * interrupted and must not be running when the process exits.
   */
  @Override
  public void close() {
    deadlines.shutdownNow();
    threads.shutdownNow();
    try {
      threads.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A load that failed, carrying the version for the log. */
  static final class LoadFailed extends RuntimeException {
    LoadFailed(AliasTarget target, Throwable cause) {
      super(target.model() + " v" + target.version() + ": " + cause.getMessage(), cause);
    }
  }
}
