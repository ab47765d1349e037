package dev.modelhub.registry;

import java.time.Instant;

/**
 * An alias now points at another version (published after the move commits).
 *
 * @param model the model's name
 * @param alias the alias
 * @param fromVersion the version it pointed at before, or null when it is new
 * @param toVersion the version it points at now
 * @param at when
 * @param by who
 */
public record AliasMoved(
    String model, String alias, Integer fromVersion, int toVersion, Instant at, String by) {}
