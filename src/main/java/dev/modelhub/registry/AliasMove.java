package dev.modelhub.registry;

import java.time.Instant;

/**
 * One entry of an alias's history.
 *
 * @param alias the alias
 * @param from the version it pointed at before, or null when it was created
 * @param to the version it points at after, or null when it was deleted
 * @param at when
 * @param by who
 */
public record AliasMove(String alias, Integer from, Integer to, Instant at, String by) {}
