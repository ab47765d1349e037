package dev.modelhub.security;

import java.time.Instant;
import java.util.List;

/**
 * An API key as the API shows it: never its secret.
 *
 * @param id the key's id
 * @param name who or what holds it (recorded as the actor of its changes)
 * @param role its role
 * @param models model-name patterns it is limited to; empty means every model
 * @param prefix the first characters of the key, to recognise it by (not secret)
 * @param expiresAt when it stops working, if ever
 * @param createdAt when it was made
 * @param createdBy who made it
 * @param lastUsedAt when it was last used (to the minute)
 * @param revokedAt when it was revoked, if it was
 * @param revokedBy who revoked it
 */
public record KeyView(
    long id,
    String name,
    String role,
    List<String> models,
    String prefix,
    Instant expiresAt,
    Instant createdAt,
    String createdBy,
    Instant lastUsedAt,
    Instant revokedAt,
    String revokedBy) {}
