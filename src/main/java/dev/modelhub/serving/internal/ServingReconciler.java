package dev.modelhub.serving.internal;

import dev.modelhub.common.Backoff;
import dev.modelhub.common.DaemonThreads;
import dev.modelhub.registry.AliasTarget;
import dev.modelhub.registry.RegistryService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles what the served aliases point at (desired) with what is loaded on this node.
 *
 * <p>Every state change runs on one reconciler thread, so reconciles and load completions never
 * race. A change of version claims the new version from the {@link VersionPool} (which loads it
 * through {@link ModelLoads} unless another alias has already), then swaps it into the slot with
 * one write of {@link Slot#current}; the old version's claim is dropped and, once unclaimed, it
 * drains and closes. A failed load leaves the old version serving and is retried with exponential
 * backoff.
 */
public class ServingReconciler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServingReconciler.class);

  private final RegistryService registry;
  private final Collection<String> aliases;
  private final ServedSlots slots;
  private final VersionPool pool;
  private final ModelLoads loads;
  private final Backoff backoff;
  private final Clock clock;

  /** Done once each load the node started with has ended, loaded or failed. */
  private final CompletableFuture<Void> initialLoads = new CompletableFuture<>();

  /** Loads started before {@link #initialLoads} is done (touched on the reconcile thread only). */
  private final List<CompletableFuture<?>> startupLoads = new ArrayList<>();

  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("modelhub-serving-reconcile"));

  public ServingReconciler(
      RegistryService registry,
      Collection<String> aliases,
      ServedSlots slots,
      VersionPool pool,
      ModelLoads loads,
      Backoff backoff,
      Clock clock) {
    this.registry = registry;
    this.aliases = aliases;
    this.slots = slots;
    this.pool = pool;
    this.loads = loads;
    this.backoff = backoff;
    this.clock = clock;
  }

  /** Compares every served alias with what is loaded and starts what must change. */
  public CompletableFuture<Void> reconcileAll() {
    return CompletableFuture.runAsync(this::applyAll, thread);
  }

  /**
   * Loads what the served aliases point at now, as a node does when it starts. {@link
   * #initialLoadsDone()} turns true once each of those loads has ended (loaded or failed): until
   * then the node is not ready, so a rolling update sends it no traffic before it has what the node
   * it replaces served.
   */
  public void loadInitial() {
    thread.execute(this::firstPass);
  }

  /** Runs on the reconcile thread; a pass that cannot read the registry is tried again. */
  private void firstPass() {
    try {
      apply(registry.targets(aliases), null);
    } catch (RuntimeException e) {
      log.warn("First reconcile failed, retrying in 1s: {}", e.toString());
      thread.schedule(this::firstPass, 1, TimeUnit.SECONDS);
      return;
    }
    awaitStartupLoads();
  }

  /**
   * Completes {@link #initialLoads} once every load started so far has ended, including loads
   * started meanwhile (a promotion arriving while the node starts).
   */
  private void awaitStartupLoads() {
    List<CompletableFuture<?>> pending = List.copyOf(startupLoads);
    startupLoads.clear();
    if (pending.isEmpty()) {
      initialLoads.complete(null);
      return;
    }
    CompletableFuture.allOf(
            pending.stream()
                .map(f -> f.handle((loaded, error) -> null))
                .toArray(CompletableFuture[]::new))
        .whenCompleteAsync((done, error) -> awaitStartupLoads(), thread);
  }

  /** Whether the loads the node started with have all ended. */
  public boolean initialLoadsDone() {
    return initialLoads.isDone();
  }

  /** The same, for one model (after a notification or event about it). */
  public CompletableFuture<Void> reconcile(String model) {
    return CompletableFuture.runAsync(
        () -> guarded(() -> apply(registry.targets(model, aliases), model)), thread);
  }

  /** Reconciles every {@code interval}, repairing missed notices. */
  public void reconcileEvery(Duration interval) {
    thread.scheduleWithFixedDelay(
        this::applyAll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void applyAll() {
    guarded(() -> apply(registry.targets(aliases), null));
  }

  private static void guarded(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      log.warn("Reconcile failed: {}", e.toString());
    }
  }

  private void apply(List<AliasTarget> targets, String onlyModel) {
    Set<Slot> wanted = new HashSet<>();
    Instant now = clock.instant();
    for (AliasTarget target : targets) {
      Slot slot = slots.slotFor(target);
      wanted.add(slot);
      slot.desired = target;
      LoadedVersion serving = slot.current;
      boolean upToDate = serving != null && serving.version() == target.version();
      if (upToDate && !Objects.equals(serving.pipeline(), target.pipeline())) {
        // A pipeline changed on the version served: no reload, the next request uses it.
        serving.pipeWith(target.pipeline());
      }
      if (!upToDate
          && !slot.loading(target)
          && !slot.waitingToRetry(target, now)
          // A load still stuck past its deadline is retried once its thread returns.
          && !loads.hung(VersionKey.of(target))) {
        startLoad(slot, target);
      }
    }
    for (Slot slot : slots.all()) {
      if (!wanted.contains(slot) && (onlyModel == null || onlyModel.equals(slot.model))) {
        remove(slot);
      }
    }
  }

  private void startLoad(Slot slot, AliasTarget target) {
    slot.loadingVersion = target.version();
    VersionKey key = VersionKey.of(target);
    VersionPool.Claim claim = pool.claim(key, k -> loads.load(target));
    log.info("{}@{}: loading v{}", slot.model, slot.alias, target.version());
    CompletableFuture<?> handled =
        claim.future.whenCompleteAsync(
            (loaded, error) -> onLoaded(slot, target, claim, loaded, error), thread);
    if (!initialLoads.isDone()) {
      startupLoads.add(handled);
    }
  }

  private void onLoaded(
      Slot slot,
      AliasTarget target,
      VersionPool.Claim claim,
      LoadedVersion loaded,
      Throwable error) {
    VersionKey key = VersionKey.of(target);
    boolean superseded =
        slot.removed || slot.desired == null || slot.desired.version() != target.version();
    if (slot.loading(target)) {
      slot.loadingVersion = null;
    }
    if (error != null) {
      pool.failed(key, claim);
      if (!superseded) {
        recordFailure(slot, target, error);
      }
    } else if (superseded) {
      pool.unclaim(key, claim);
    } else {
      // The pipeline may have changed while the version loaded: take the latest one known.
      loaded.pipeWith(slot.desired.pipeline());
      LoadedVersion old = slot.swapIn(loaded, clock.instant());
      log.info(
          "{}@{}: now serving v{}{}",
          slot.model,
          slot.alias,
          loaded.version(),
          old == null ? "" : " (was v" + old.version() + ")");
      if (old != null) {
        pool.unclaim(old);
      }
    }
  }

  private void recordFailure(Slot slot, AliasTarget target, Throwable error) {

    if (slot.failedVersion != target.version()) {
      // A newly promoted version starts its own backoff, not the failing one's.
      slot.failedAttempts = 0;
    }
    slot.failedVersion = target.version();
    slot.failedAttempts++;
    // Shown to viewers (serving status, 503 details): the engine's words without paths or URLs.
    slot.lastError = LoadErrors.describe(error);
    slot.lastErrorAt = clock.instant();
    Duration wait = backoff.after(slot.failedAttempts);
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
    thread.schedule(() -> reconcile(model), wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void remove(Slot slot) {
    slot.removed = true;
    LoadedVersion old = slot.current;
    slot.current = null;
    slots.remove(slot);
    log.info("{}@{}: no longer served", slot.model, slot.alias);
    if (old != null) {
      pool.unclaim(old);
    }
  }

  /** Stops reconciling and closes what is served now, without waiting for their requests. */
  @Override
  public void close() {
    thread.shutdownNow();
    loads.close();
    for (Slot slot : slots.all()) {
      LoadedVersion loaded = slot.current;
      slot.current = null;
      if (loaded != null) {
        loaded.shutdown(Duration.ofSeconds(5));
      }
    }
    pool.close();
  }
}
