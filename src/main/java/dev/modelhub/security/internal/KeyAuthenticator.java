package dev.modelhub.security.internal;

import dev.modelhub.security.AccessProperties;
import dev.modelhub.security.Caller;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

/**
 * Checks API keys. A key's row is found by its prefix and trusted for {@code key-cache-ttl} (250ms)
 * before it is read again, so a key revoked or expired on any node stops working everywhere within
 * that time, while a busy inference path does not read the database per request. Unknown, expired
 * and revoked keys fail alike: the answer never tells which.
 */
public class KeyAuthenticator implements AuthenticationProvider {

  /** Why a presented key failed; kept for the audit trail, never shown to the client. */
  public static final String FAILURE_REASON = KeyAuthenticator.class.getName() + ".reason";

  private static final Logger log = LoggerFactory.getLogger(KeyAuthenticator.class);
  private static final int MAX_CACHED = 10_000;

  private record Cached(StoredKey key, long loadedNanos) {}

  private final ApiKeyStore store;
  private final Clock clock;
  private final long ttlNanos;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  public KeyAuthenticator(ApiKeyStore store, AccessProperties properties, Clock clock) {
    this.store = store;
    this.clock = clock;
    this.ttlNanos = properties.keyCacheTtl().toNanos();
  }

  @Override
  public Authentication authenticate(Authentication authentication) {
    String presented = ((BearerTokenAuthenticationToken) authentication).getToken();
    String prefix = KeyMaterial.prefix(presented);
    StoredKey key;
    try {
      key = prefix == null ? null : lookup(prefix).orElse(null);
    } catch (DataAccessException e) {
      throw new AuthenticationServiceException("cannot read API keys: " + e.getMessage(), e);
    }
    if (key == null || !KeyMaterial.matches(presented, key.hash())) {
      throw new InvalidKey("unknown key", null);
    }
    Instant now = clock.instant();
    if (!key.activeAt(now)) {
      throw new InvalidKey(key.revokedAt() != null ? "revoked key" : "expired key", key);
    }
    if (key.lastUsedAt() == null || key.lastUsedAt().isBefore(now.minusSeconds(60))) {
      touch(prefix, key, now);
    }
    return new CallerAuthentication(
        new Identity(key.name(), Caller.Kind.KEY, key.role(), key.scope(), key.id()));
  }

  @Override
  public boolean supports(Class<?> authentication) {
    return BearerTokenAuthenticationToken.class.isAssignableFrom(authentication);
  }

  /** Records the use; a failure to record it does not fail the request. */
  private void touch(String prefix, StoredKey key, Instant now) {
    try {
      store.touch(key.id(), now);
    } catch (DataAccessException e) {
      log.debug("Could not record the use of key {}: {}", key.id(), e.toString());
    }
    cache.computeIfPresent(
        prefix,
        (p, cached) ->
            new Cached(
                new StoredKey(
                    key.id(),
                    key.name(),
                    key.hash(),
                    key.role(),
                    key.scope(),
                    key.expiresAt(),
                    key.revokedAt(),
                    now),
                cached.loadedNanos()));
  }

  /** Forgets what this node knows of a key (after it revoked it). */
  public void evict(String prefix) {
    cache.remove(prefix);
  }

  private Optional<StoredKey> lookup(String prefix) {
    long now = System.nanoTime();
    Cached cached = cache.get(prefix);
    if (cached != null && now - cached.loadedNanos() < ttlNanos) {
      return Optional.of(cached.key());
    }
    Optional<StoredKey> found = store.findByPrefix(prefix);
    if (found.isPresent()) {
      if (cache.size() >= MAX_CACHED) {
        cache.clear();
      }
      cache.put(prefix, new Cached(found.get(), now));
    } else {
      cache.remove(prefix);
    }
    return found;
  }

  /** A key that does not authenticate; {@link #key()} is set when it exists but no longer works. */
  public static final class InvalidKey extends BadCredentialsException {
    private final transient StoredKey key;

    InvalidKey(String reason, StoredKey key) {
      super(reason);
      this.key = key;
    }

    public StoredKey key() {
      return key;
    }
  }
}
