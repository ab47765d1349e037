package dev.modelhub.security;

import java.time.Instant;

/**
 * Which audit events to list; null fields do not filter.
 *
 * @param model events about this model
 * @param actor events by this actor
 * @param action events of this action
 * @param since events at or after this time
 * @param until events before this time
 * @param outcome events with this outcome ({@code success}, {@code denied}, {@code
 *     unauthenticated}, {@code throttled})
 * @param requestId events of the request with this {@code X-Request-Id}
 */
public record AuditQuery(
    String model,
    String actor,
    String action,
    Instant since,
    Instant until,
    String outcome,
    String requestId) {}
