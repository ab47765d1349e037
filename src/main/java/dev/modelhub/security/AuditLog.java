package dev.modelhub.security;

import dev.modelhub.common.PageView;
import dev.modelhub.security.internal.AuditStore;
import java.time.Clock;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The audit trail. A change is recorded with {@link #record} inside the transaction that makes it,
 * so the event commits with the change or not at all; a refusal is recorded on its own.
 */
public class AuditLog {

  private final AuditStore store;
  private final Clock clock;

  public AuditLog(AuditStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Records a change made by {@code caller}; must run inside the change's transaction. Answers the
   * event's id.
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public long record(Caller caller, AuditEntry entry) {
    return store.insert(caller, entry, "success", clock.instant());
  }

  /** Records a refused request (401, 403, 429) in a transaction of its own. */
  @Transactional(propagation = Propagation.REQUIRES_NEW)
  public long refusal(Caller caller, AuditEntry entry, String outcome) {
    return store.insert(caller, entry, outcome, clock.instant());
  }

  /** Events matching {@code filter}, newest first. */
  @Transactional(readOnly = true)
  public PageView<AuditEvent> list(AuditQuery filter, int page, int size) {
    return PageView.of(store.list(filter, page, size), page, size, store.count(filter));
  }
}
