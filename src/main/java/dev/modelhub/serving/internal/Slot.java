package dev.modelhub.serving.internal;

import dev.modelhub.registry.AliasTarget;
import dev.modelhub.serving.SlotStatus;
import java.time.Instant;

/**
 * What one model alias serves on this node: the version answering requests ({@link #current}), the
 * version the alias points at ({@link #desired}) and how loading it went. Requests read {@link
 * #current} without locks; only the controller thread writes.
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

  Slot(String model, String alias, AliasTarget desired) {
    this.model = model;
    this.alias = alias;
    this.desired = desired; // set before the slot is visible: requests read it without locks
  }

  SlotStatus status() {
    LoadedVersion serving = current;
    AliasTarget target = desired;
    int desiredVersion = target == null ? -1 : target.version();
    String state;
    if (serving != null && serving.version() == desiredVersion) {
      state = "READY";
    } else if (failedVersion == desiredVersion && loadingVersion == null) {
      state = "FAILED";
    } else if (serving != null) {
      state = "UPDATING";
    } else {
      state = "LOADING";
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
        failedAttempts);
  }
}
