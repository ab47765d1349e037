package dev.modelhub.serving.internal;

import dev.modelhub.common.ClientMessages;
import dev.modelhub.registry.AliasTarget;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.SlotStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles what the served aliases point at (desired) with what is loaded on this node.
 *
 * <p>All state changes run on one controller thread, so reconciles and load completions never race.
 * A change of version loads the new one on the load pool (download, verify, unpack, load, warm up),
 * then swaps it in with one write of {@link Slot#current}; the old version drains its running
 * requests and closes on the drain pool. Versions shared by several aliases are loaded once. A
 * failed load leaves the old version serving and is retried with exponential backoff.
 */
public class ServingController implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServingController.class);

  private record SlotKey(String model, String alias) {}

  private record VersionKey(String model, int version) {}

  /** A version loaded (or loading) once for every slot that wants it. */
  private static final class Pooled {
    final CompletableFuture<LoadedVersion> future;
    int refs;

    Pooled(CompletableFuture<LoadedVersion> future) {
      this.future = future;
    }
  }

  private final RegistryService registry;
  private final ArtifactCache cache;
  private final ModelLoader loader;
  private final ServingProperties properties;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Map<SlotKey, Slot> slots = new ConcurrentHashMap<>();
  private final Map<VersionKey, Pooled> pool = new ConcurrentHashMap<>();
  private final ScheduledExecutorService controller;
  private final ExecutorService loads;
  private final ExecutorService drains;
  private final Semaphore loadPermits;

  /** Versions whose load overran its deadline and whose thread has not returned yet. */
  private final Set<VersionKey> hung = ConcurrentHashMap.newKeySet();

  private final AtomicInteger draining = new AtomicInteger();
  private final Set<VersionKey> drainingVersions = ConcurrentHashMap.newKeySet();

  public ServingController(
      RegistryService registry,
      ArtifactCache cache,
      ModelLoader loader,
      ServingProperties properties,
      Clock clock,
      MeterRegistry meters) {
    this.registry = registry;
    this.cache = cache;
    this.loader = loader;
    this.properties = properties;
    this.clock = clock;
    this.meters = meters;
    this.controller = Executors.newSingleThreadScheduledExecutor(named("modelhub-serving-control"));
    // A thread per load, at most load-threads working at once; a load past its deadline gives its
    // place up, so a hung load never makes other models' loads wait.
    this.loads = Executors.newCachedThreadPool(named("modelhub-model-load"));
    this.loadPermits = new Semaphore(Math.max(1, properties.loadThreads()));
    this.drains = Executors.newCachedThreadPool(named("modelhub-model-drain"));
    Gauge.builder("modelhub.served.versions", this, c -> c.servedVersionCount())
        .description("Model versions loaded and answering on this node")
        .register(meters);
    Gauge.builder("modelhub.draining.versions", draining, AtomicInteger::get)
        .description("Swapped-out versions finishing their requests before they close")
        .register(meters);
  }

  /** Compares every served alias with what is loaded and starts what must change. */
  public CompletableFuture<Void> reconcileAll() {
    return CompletableFuture.runAsync(
        () -> guarded(() -> apply(registry.targets(properties.aliases()), null)), controller);
  }

  /** The same, for one model (after a notification or event about it). */
  public CompletableFuture<Void> reconcile(String model) {
    return CompletableFuture.runAsync(
        () -> guarded(() -> apply(registry.targets(model, properties.aliases()), model)),
        controller);
  }

  /** Reconciles every {@code interval} on the controller thread, repairing missed notices. */
  public void reconcileEvery(Duration interval) {
    controller.scheduleWithFixedDelay(
        () -> guarded(() -> apply(registry.targets(properties.aliases()), null)),
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void guarded(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      log.warn("Reconcile failed: {}", e.toString());
    }
  }

  private void apply(List<AliasTarget> targets, String onlyModel) {
    Set<SlotKey> wanted = new HashSet<>();
    Instant now = clock.instant();
    for (AliasTarget target : targets) {
      SlotKey key = new SlotKey(target.model(), target.alias());
      wanted.add(key);
      Slot slot = slots.computeIfAbsent(key, k -> new Slot(k.model(), k.alias(), target));
      slot.desired = target;
      LoadedVersion serving = slot.current;
      if (serving != null && serving.version() == target.version()) {
        continue;
      }
      if (slot.loadingVersion != null && slot.loadingVersion == target.version()) {
        continue;
      }
      if (slot.failedVersion == target.version()
          && slot.retryAt != null
          && now.isBefore(slot.retryAt)) {
        continue;
      }
      if (hung.contains(new VersionKey(target.model(), target.version()))) {
        continue; // its last load is still stuck; retried once that thread returns
      }
      startLoad(slot, target);
    }
    for (Map.Entry<SlotKey, Slot> entry : List.copyOf(slots.entrySet())) {
      SlotKey key = entry.getKey();
      if (!wanted.contains(key) && (onlyModel == null || onlyModel.equals(key.model()))) {
        remove(entry.getValue());
        slots.remove(key);
      }
    }
  }

  private void startLoad(Slot slot, AliasTarget target) {
    slot.loadingVersion = target.version();
    VersionKey key = new VersionKey(target.model(), target.version());
    Pooled pooled = pool.computeIfAbsent(key, k -> new Pooled(loadAsync(target)));
    pooled.refs++;
    log.info("{}@{}: loading v{}", slot.model, slot.alias, target.version());
    pooled.future.whenCompleteAsync(
        (loaded, error) -> onLoaded(slot, target, key, pooled, loaded, error), controller);
  }

  /**
   * Loads on a thread of its own once one of load-threads places is free. The load has {@code
   * load-timeout}: past it the future fails (a failure like any other, retried with backoff), the
   * place is given to the next load, and whatever the stuck thread produces when it returns is
   * closed.
   */
  private CompletableFuture<LoadedVersion> loadAsync(AliasTarget target) {
    CompletableFuture<LoadedVersion> result = new CompletableFuture<>();
    VersionKey key = new VersionKey(target.model(), target.version());
    loads.execute(
        () -> {
          try {
            loadPermits.acquire();
          } catch (InterruptedException e) {
            result.completeExceptionally(new LoadFailed(target, e));
            return;
          }
          java.util.concurrent.atomic.AtomicBoolean placeHeld =
              new java.util.concurrent.atomic.AtomicBoolean(true);
          java.util.concurrent.atomic.AtomicBoolean finished =
              new java.util.concurrent.atomic.AtomicBoolean();
          Runnable givePlaceBack =
              () -> {
                if (placeHeld.compareAndSet(true, false)) {
                  loadPermits.release();
                }
              };
          controller.schedule(
              () -> {
                synchronized (hung) {
                  if (!finished.get()
                      && result.completeExceptionally(
                          new LoadFailed(
                              target,
                              new java.util.concurrent.TimeoutException(
                                  "the load took longer than "
                                      + properties.loadTimeout()
                                      + " (modelhub.serving.load-timeout)")))) {
                    hung.add(key);
                  }
                }
                givePlaceBack.run();
              },
              properties.loadTimeout().toMillis(),
              TimeUnit.MILLISECONDS);
          Timer.Sample sample = Timer.start(meters);
          try {
            Path dir = cache.acquire(target.digest(), target.format(), target.sizeBytes());
            LoadedVersion loaded;
            try {
              loaded = loader.load(target, dir);
            } catch (Exception | Error e) {
              cache.release(target.digest());
              throw e;
            }
            if (result.complete(loaded)) {
              count(target.model(), "success", sample);
            } else {
              loaded.discard(); // it overran its deadline: nobody waits for it any more
              cache.release(target.digest());
            }
          } catch (Exception | Error e) {
            count(target.model(), "failure", sample);
            result.completeExceptionally(new LoadFailed(target, e));
          } finally {
            synchronized (hung) {
              finished.set(true);
              hung.remove(key);
            }
            givePlaceBack.run();
          }
        });
    return result;
  }

  private void onLoaded(
      Slot slot,
      AliasTarget target,
      VersionKey key,
      Pooled pooled,
      LoadedVersion loaded,
      Throwable error) {
    boolean superseded =
        slot.removed || slot.desired == null || slot.desired.version() != target.version();
    if (slot.loadingVersion != null && slot.loadingVersion == target.version()) {
      slot.loadingVersion = null;
    }
    if (error != null) {
      pool.remove(key, pooled);
      if (!superseded) {
        recordFailure(slot, target, error);
      }
      return;
    }
    if (superseded) {
      unref(key, pooled);
      return;
    }
    LoadedVersion old = slot.current;
    slot.current = loaded;
    slot.loadedAt = clock.instant();
    slot.failedAttempts = 0;
    slot.failedVersion = -1;
    slot.lastError = null;
    slot.lastErrorAt = null;
    slot.retryAt = null;
    log.info(
        "{}@{}: now serving v{}{}",
        slot.model,
        slot.alias,
        loaded.version(),
        old == null ? "" : " (was v" + old.version() + ")");
    if (old != null) {
      VersionKey oldKey = new VersionKey(old.model(), old.version());
      unref(oldKey, pool.get(oldKey));
    }
  }

  private void recordFailure(Slot slot, AliasTarget target, Throwable error) {
    Throwable cause =
        error instanceof LoadFailed || error.getCause() instanceof LoadFailed
            ? rootOf(error)
            : error;
    if (slot.failedVersion != target.version()) {
      // A newly promoted version starts its own backoff, not the failing one's.
      slot.failedAttempts = 0;
    }
    slot.failedVersion = target.version();
    slot.failedAttempts++;
    // Shown to viewers (serving status, 503 details): the engine's words without paths or URLs.
    slot.lastError =
        ClientMessages.scrub(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    slot.lastErrorAt = clock.instant();
    Duration wait = backoff(slot.failedAttempts);
    slot.retryAt = slot.lastErrorAt.plus(wait);
    log.warn(
        "{}@{}: v{} failed to load (attempt {}), {} keeps serving; retrying in {}s: {}",
        slot.model,
        slot.alias,
        target.version(),
        slot.failedAttempts,
        slot.current == null ? "nothing" : "v" + slot.current.version(),
        wait.toSeconds(),
        slot.lastError);
    String model = slot.model;
    controller.schedule(() -> reconcile(model), wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private Duration backoff(int attempts) {
    long min = properties.loadRetryMin().toMillis();
    long max = properties.loadRetryMax().toMillis();
    long wait = min << Math.min(20, attempts - 1);
    return Duration.ofMillis(Math.min(max, Math.max(min, wait)));
  }

  private void remove(Slot slot) {
    slot.removed = true;
    LoadedVersion old = slot.current;
    slot.current = null;
    log.info("{}@{}: no longer served", slot.model, slot.alias);
    if (old != null) {
      VersionKey key = new VersionKey(old.model(), old.version());
      unref(key, pool.get(key));
    }
  }

  /** Drops one slot's claim on a version; the last claim drains and closes it. */
  private void unref(VersionKey key, Pooled pooled) {
    if (pooled == null || --pooled.refs > 0) {
      return;
    }
    pool.remove(key, pooled);
    pooled.future.thenAcceptAsync(
        loaded -> {
          draining.incrementAndGet();
          drainingVersions.add(key);
          try {
            loaded.drainAndClose(properties.drainTimeout());
            cache.release(loaded.digest());
          } finally {
            drainingVersions.remove(key);
            draining.decrementAndGet();
          }
        },
        drains);
  }

  // ---- request path (any thread) ----

  /**
   * A version to answer with, referenced for one request: the one loaded for {@code version} under
   * any alias, or the one serving {@code alias}. Release it when done.
   */
  public LoadedVersion acquire(String model, Integer version, String alias) {
    if (version != null) {
      return acquireVersion(model, version);
    }
    Slot slot = slots.get(new SlotKey(model, alias));
    if (slot == null) {
      throw new ServingExceptions.NotServed(
          "Model '" + model + "' has no '" + alias + "' version served on this node.",
          servedVersions(model));
    }
    while (true) {
      LoadedVersion current = slot.current;
      if (current == null) {
        if (slot.removed) {
          throw new ServingExceptions.NotServed(
              "Model '" + model + "' is no longer served under '" + alias + "'.",
              servedVersions(model));
        }
        throw new ServingExceptions.Unavailable(
            "Model '"
                + model
                + "' v"
                + slot.desired.version()
                + " is loading and no older"
                + " version is serving"
                + (slot.lastError == null ? "" : " (last attempt failed: " + slot.lastError + ")")
                + "; retry shortly.",
            Duration.ofSeconds(slot.lastError == null ? 1 : 5));
      }
      if (current.tryAcquire()) {
        return current;
      }
      // Swapped out between the read and the acquire: the slot already points at its successor.
      Thread.onSpinWait();
    }
  }

  private LoadedVersion acquireVersion(String model, int version) {
    while (true) {
      LoadedVersion found = null;
      for (Slot slot : slots.values()) {
        LoadedVersion current = slot.current;
        if (slot.model.equals(model) && current != null && current.version() == version) {
          found = current;
          break;
        }
      }
      if (found == null) {
        throw new ServingExceptions.NotServed(
            "Model '"
                + model
                + "' version "
                + version
                + " is not served on this node; served"
                + " versions: "
                + servedVersions(model)
                + ".",
            servedVersions(model));
      }
      if (found.tryAcquire()) {
        return found;
      }
      Thread.onSpinWait();
    }
  }

  /** Versions of {@code model} answering requests on this node. */
  public TreeSet<Integer> servedVersions(String model) {
    TreeSet<Integer> versions = new TreeSet<>();
    for (Slot slot : slots.values()) {
      LoadedVersion current = slot.current;
      if (slot.model.equals(model) && current != null) {
        versions.add(current.version());
      }
    }
    return versions;
  }

  /** Versions of {@code model} swapped out and still finishing their requests. */
  public TreeSet<Integer> drainingVersions(String model) {
    TreeSet<Integer> versions = new TreeSet<>();
    for (VersionKey key : drainingVersions) {
      if (key.model().equals(model)) {
        versions.add(key.version());
      }
    }
    return versions;
  }

  public List<SlotStatus> status() {
    return slots.values().stream()
        .map(Slot::status)
        .sorted(Comparator.comparing(SlotStatus::model).thenComparing(SlotStatus::alias))
        .toList();
  }

  int servedVersionCount() {
    Set<LoadedVersion> distinct = new HashSet<>();
    for (Slot slot : slots.values()) {
      if (slot.current != null) {
        distinct.add(slot.current);
      }
    }
    return distinct.size();
  }

  private void count(String model, String outcome, Timer.Sample sample) {
    Counter.builder("modelhub.model.loads")
        .description("Model version loads by outcome")
        .tag("model", model)
        .tag("outcome", outcome)
        .register(meters)
        .increment();
    sample.stop(
        Timer.builder("modelhub.model.load.duration")
            .description("Time to download, load and warm up a model version")
            .tag("model", model)
            .tag("outcome", outcome)
            .register(meters));
  }

  @Override
  public void close() {
    controller.shutdownNow();
    loads.shutdownNow();
    for (Slot slot : slots.values()) {
      LoadedVersion loaded = slot.current;
      slot.current = null;
      if (loaded != null) {
        loaded.shutdown(Duration.ofSeconds(5));
      }
    }
    drains.shutdown();
  }

  private static Throwable rootOf(Throwable t) {
    Throwable current = t;
    while ((current instanceof LoadFailed
            || current instanceof java.util.concurrent.CompletionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** A load that failed, carrying the version for the log. */
  static final class LoadFailed extends RuntimeException {
    LoadFailed(AliasTarget target, Throwable cause) {
      super(target.model() + " v" + target.version() + ": " + cause.getMessage(), cause);
    }
  }
}
