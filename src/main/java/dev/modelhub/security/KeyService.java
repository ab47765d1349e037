package dev.modelhub.security;

import dev.modelhub.common.ConflictException;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.NotFoundException;
import dev.modelhub.common.PageView;
import dev.modelhub.security.internal.ApiKeyStore;
import dev.modelhub.security.internal.KeyAuthenticator;
import dev.modelhub.security.internal.KeyMaterial;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** Makes, lists and revokes API keys; every change is in the audit trail. */
public class KeyService {

  private final ApiKeyStore store;
  private final KeyMaterial material;
  private final KeyAuthenticator authenticator;
  private final AuditLog audit;
  private final Clock clock;

  public KeyService(
      ApiKeyStore store,
      KeyMaterial material,
      KeyAuthenticator authenticator,
      AuditLog audit,
      Clock clock) {
    this.store = store;
    this.material = material;
    this.authenticator = authenticator;
    this.audit = audit;
    this.clock = clock;
  }

  /** Makes a key; the answer holds its secret, which is never shown again. */
  @Transactional
  public CreatedKey create(
      Caller caller, String name, Role role, List<String> models, Instant expiresAt) {
    Instant now = clock.instant();
    if (expiresAt != null && !expiresAt.isAfter(now)) {
      throw new InvalidRequestException("expiresAt: must be in the future.");
    }
    if (store.activeNameTaken(name)) {
      throw nameTaken(name);
    }
    List<String> patterns = models == null ? List.of() : List.copyOf(models);
    String key = material.generate();
    long id;
    try {
      id = store.insert(name, key, role, patterns, expiresAt, now, caller.name());
    } catch (DuplicateKeyException concurrent) {
      throw nameTaken(name);
    }
    audit.record(
        caller,
        AuditEntry.of("key.create")
            .withKey(id)
            .withDetail(
                name
                    + " ("
                    + role.id()
                    + (patterns.isEmpty() ? "" : ", models " + patterns)
                    + (expiresAt == null ? "" : ", expires " + expiresAt)
                    + ")"));
    return new CreatedKey(key, store.find(id).orElseThrow());
  }

  @Transactional(readOnly = true)
  public PageView<KeyView> list(boolean includeRevoked, int page, int size) {
    return PageView.of(
        store.list(includeRevoked, page, size), page, size, store.countListed(includeRevoked));
  }

  @Transactional(readOnly = true)
  public KeyView get(long id) {
    return store.find(id).orElseThrow(() -> notFound(id));
  }

  /**
   * Revokes a key: it stops working on every node within {@code key-cache-ttl}. Revoking the last
   * working admin key that is limited to no model is refused, so that no one is locked out.
   */
  @Transactional
  public KeyView revoke(Caller caller, long id) {
    store.lockForBootstrap();
    KeyView key = store.find(id).orElseThrow(() -> notFound(id));
    Instant now = clock.instant();
    boolean working =
        key.revokedAt() == null && (key.expiresAt() == null || key.expiresAt().isAfter(now));
    if (working
        && key.role().equals(Role.ADMIN.id())
        && key.models().isEmpty()
        && store.otherActiveGlobalAdmins(id, now) == 0) {
      throw new ConflictException(
          "last-admin-key",
          "Last admin key",
          "Key "
              + id
              + " is the only working admin key for all models; create another admin key"
              + " before revoking it.");
    }
    boolean changed = store.revoke(id, now, caller.name());
    // Forget the cached row only once the revocation is visible, or a request in between would
    // cache the old row again.
    TransactionSynchronizationManager.registerSynchronization(
        new TransactionSynchronization() {
          @Override
          public void afterCommit() {
            authenticator.evict(key.prefix());
          }
        });
    audit.record(
        caller,
        AuditEntry.of("key.revoke")
            .withKey(id)
            .withDetail(key.name() + (changed ? "" : " (already revoked)")));
    return store.find(id).orElseThrow();
  }

  private static ConflictException nameTaken(String name) {
    return new ConflictException(
        "key-exists",
        "Key name in use",
        "A working key is already named '" + name + "'; revoke it first or choose another name.");
  }

  private static NotFoundException notFound(long id) {
    return new NotFoundException("key-not-found", "Key not found", "No API key has id " + id + ".");
  }
}
