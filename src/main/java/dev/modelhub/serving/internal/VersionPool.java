package dev.modelhub.serving.internal;

import dev.modelhub.common.DaemonThreads;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The versions loaded (or loading) on this node, each once however many aliases want it, counted by
 * the slots that claim it. When the last claim goes, the version drains — running requests finish,
 * new ones go to its successor — and closes on a drain thread, and its cached artifact is unpinned.
 * Only the reconciler thread claims and unclaims; the draining set is read by any thread.
 */
public class VersionPool implements AutoCloseable {

  /** A version loaded (or loading) once for every slot that wants it. */
  static final class Claim {
    final CompletableFuture<LoadedVersion> future;
    int refs;

    private Claim(CompletableFuture<LoadedVersion> future) {
      this.future = future;
    }
  }

  private final Map<VersionKey, Claim> claims = new ConcurrentHashMap<>();
  private final Set<VersionKey> draining = ConcurrentHashMap.newKeySet();
  private final ExecutorService drains =
      Executors.newCachedThreadPool(DaemonThreads.named("modelhub-model-drain"));
  private final ArtifactCache cache;
  private final Duration drainTimeout;

  public VersionPool(ArtifactCache cache, Duration drainTimeout) {
    this.cache = cache;
    this.drainTimeout = drainTimeout;
  }

  /** Claims {@code key}, starting its load with {@code load} if no slot has claimed it yet. */
  Claim claim(VersionKey key, Function<VersionKey, CompletableFuture<LoadedVersion>> load) {
    Claim claim = claims.computeIfAbsent(key, k -> new Claim(load.apply(k)));
    claim.refs++;
    return claim;
  }

  /** Forgets a claim whose load failed, so that the next claim loads afresh. */
  void failed(VersionKey key, Claim claim) {
    claims.remove(key, claim);
  }

  /** Drops one slot's claim on {@code loaded}'s version; the last claim drains and closes it. */
  void unclaim(LoadedVersion loaded) {
    VersionKey key = VersionKey.of(loaded);
    unclaim(key, claims.get(key));
  }

  /** Drops one claim; the last one drains and closes the version once it has loaded. */
  void unclaim(VersionKey key, Claim claim) {
    if (claim == null || --claim.refs > 0) {
      return;
    }
    claims.remove(key, claim);
    claim.future.thenAcceptAsync(loaded -> drain(key, loaded), drains);
  }

  private void drain(VersionKey key, LoadedVersion loaded) {
    draining.add(key);
    try {
      loaded.drainAndClose(drainTimeout);
      cache.release(loaded.digest());
    } finally {
      draining.remove(key);
    }
  }

  /** Versions of {@code model} swapped out and still finishing their requests. */
  public TreeSet<Integer> drainingVersions(String model) {
    return draining.stream()
        .filter(key -> key.model().equals(model))
        .map(VersionKey::version)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  int drainingCount() {
    return draining.size();
  }

  /** Lets running drains finish in the background; starts no new one. */
  @Override
  public void close() {
    drains.shutdown();
  }
}
