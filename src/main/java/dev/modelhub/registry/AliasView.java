package dev.modelhub.registry;

import java.time.Instant;

/**
 * Where an alias points.
 *
 * @param model the model's name
 * @param alias the alias
 * @param version the version it points at
 * @param digest the digest of that version's artifact
 * @param previousVersion the version it pointed at before its last move (null if none): what a
 *     rollback moves it back to
 * @param updatedAt when it last moved
 * @param updatedBy who moved it
 */
public record AliasView(
    String model,
    String alias,
    int version,
    String digest,
    Integer previousVersion,
    Instant updatedAt,
    String updatedBy) {}
