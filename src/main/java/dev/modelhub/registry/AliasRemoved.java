package dev.modelhub.registry;

import java.time.Instant;

/**
 * An alias was deleted (published after the deletion commits).
 *
 * @param model the model's name
 * @param alias the alias
 * @param fromVersion the version it pointed at
 * @param at when
 * @param by who
 */
public record AliasRemoved(String model, String alias, int fromVersion, Instant at, String by) {}
