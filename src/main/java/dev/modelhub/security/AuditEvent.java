package dev.modelhub.security;

import java.time.Instant;

/**
 * One entry of the audit trail.
 *
 * @param id the event's id (alias history entries link to it)
 * @param at when
 * @param actor who: a key's name, a JWT's subject, or {@code anonymous}
 * @param actorKind how the actor authenticated: key, jwt, anonymous or system
 * @param keyId the API key the actor used, if any
 * @param action what: {@code alias.move}, {@code version.create}…, or for a refusal the method and
 *     path pattern that was refused
 * @param outcome {@code success}, {@code denied} (403), {@code unauthenticated} (401) or {@code
 *     throttled} (429)
 * @param model the model concerned, if any
 * @param version the version concerned, if any
 * @param alias the alias concerned, if any
 * @param job the job concerned, if any
 * @param key the API key acted on, if any
 * @param detail a short account
 * @param clientAddress the client's address
 * @param requestId the request's id ({@code X-Request-Id})
 */
public record AuditEvent(
    long id,
    Instant at,
    String actor,
    String actorKind,
    Long keyId,
    String action,
    String outcome,
    String model,
    Integer version,
    String alias,
    Long job,
    Long key,
    String detail,
    String clientAddress,
    String requestId) {}
