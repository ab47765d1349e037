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
 * @param auditEvent the audit event that recorded the move ({@code GET /api/v1/audit}), or null for
 *     moves made before the audit trail existed
 */
public record AliasMove(
    String alias, Integer from, Integer to, Instant at, String by, Long auditEvent) {}
