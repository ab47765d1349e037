package dev.modelhub.security.internal;

import dev.modelhub.security.ModelScope;
import dev.modelhub.security.Role;
import java.time.Instant;

/** A key's row as authentication needs it. */
public record StoredKey(
    long id,
    String name,
    String hash,
    Role role,
    ModelScope scope,
    Instant expiresAt,
    Instant revokedAt,
    Instant lastUsedAt) {

  boolean activeAt(Instant now) {
    return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
  }
}
