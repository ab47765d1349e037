package dev.modelhub.serving.internal;

import dev.modelhub.registry.AliasTarget;
import dev.modelhub.serving.SlotState;
import dev.modelhub.serving.SlotStatus;
import java.time.Instant;

/**
 * What one model alias serves on this node: the version answering requests ({@link #current}), the
 * version the alias points at ({@link #desired}) and how loading it went. Requests read {@link
 * #current} without locks; only the reconciler thread writes.
 */
final class Slot {

  final String model;
  final String alias;
  volatile LoadedVersion current;
  volatile AliasTarget desired;
  volatile Integer loadingVersion;
  volatile Instant loadedAt;
  volatile String lastError;
  volatile Instant lastErrorAt;
  volatile int failedAttempts;
  volatile int failedVersion = -1;
  volatile Instant retryAt;
  volatile boolean removed;
  volatile int engineCrashes;
  volatile Integer crashingVersion;

  Slot(String model, String alias, AliasTarget desired) {
    this.model = model;
    this.alias = alias;
    this.desired = desired; // set before the slot is visible: requests read it without locks
  }

  /** Whether {@code target}'s version is being loaded for this slot. */
  boolean loading(AliasTarget target) {
    Integer loading = loadingVersion;
    return loading != null && loading == target.version();
  }

  /** Whether {@code target}'s version failed here and its retry is not due at {@code now}. */
  boolean waitingToRetry(AliasTarget target, Instant now) {
    Instant retry = retryAt;
    return failedVersion == target.version() && retry != null && now.isBefore(retry);
  }

  /** Swaps {@code loaded} in; answers the version it replaces, or null. */
  LoadedVersion swapIn(LoadedVersion loaded, Instant now) {
    LoadedVersion old = current;
    current = loaded;
    loadedAt = now;
    engineCrashes = 0;
    failedAttempts = 0;
    failedVersion = -1;
    lastError = null;
    lastErrorAt = null;
    retryAt = null;
    return old;
  }

  SlotStatus status() {
    LoadedVersion serving = current;
    AliasTarget target = desired;
    int desiredVersion = target == null ? -1 : target.version();
    SlotState state;
    Integer crashing = crashingVersion;
    if (crashing != null && crashing == desiredVersion) {
      state = SlotState.CRASHING;
    } else if (serving != null && serving.version() == desiredVersion) {
      state = SlotState.READY;
    } else if (failedVersion == desiredVersion && loadingVersion == null) {
      state = SlotState.FAILED;
    } else if (serving != null) {
      state = SlotState.UPDATING;
    } else {
      state = SlotState.LOADING;
    }
    return new SlotStatus(
        model,
        alias,
        serving == null ? null : serving.version(),
        desiredVersion,
        state,
        serving == null ? null : loadedAt,
        lastError,
        lastErrorAt,
        failedAttempts,
        engineCrashes,
        crashing);
  }
}
