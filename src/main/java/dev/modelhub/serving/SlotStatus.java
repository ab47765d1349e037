package dev.modelhub.serving;

import java.time.Instant;

/**
 * What this node serves for one model alias.
 *
 * @param model the model's name
 * @param alias the alias
 * @param version the version answering requests, or null while nothing is loaded
 * @param desiredVersion the version the alias points at
 * @param state LOADING (nothing to serve yet), READY (serving the desired version), UPDATING
 *     (serving an older version while the desired one loads), FAILED (the desired version failed to
 *     load; an older one keeps serving if there is one), CRASHING (its engine keeps crashing)
 * @param loadedAt when the serving version was swapped in
 * @param lastError the last load failure, or null
 * @param lastErrorAt when it happened
 * @param failedAttempts consecutive failed loads of the desired version
 * @param engineCrashes times the serving version's engine host ended on its own since it loaded
 * @param crashingVersion the version last marked CRASHING here, or null
 */
public record SlotStatus(
    String model,
    String alias,
    Integer version,
    int desiredVersion,
    SlotState state,
    Instant loadedAt,
    String lastError,
    Instant lastErrorAt,
    int failedAttempts,
    int engineCrashes,
    Integer crashingVersion) {}
