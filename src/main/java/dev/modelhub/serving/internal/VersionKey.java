package dev.modelhub.serving.internal;

import dev.modelhub.registry.AliasTarget;

/** One version of one model: what the pool loads once however many aliases point at it. */
record VersionKey(String model, int version) {

  static VersionKey of(AliasTarget target) {
    return new VersionKey(target.model(), target.version());
  }

  static VersionKey of(LoadedVersion loaded) {
    return new VersionKey(loaded.model(), loaded.version());
  }
}
