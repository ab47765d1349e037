package dev.modelhub.security.internal;

import dev.modelhub.security.AuditEntry;
import dev.modelhub.security.AuditEvent;
import dev.modelhub.security.AuditQuery;
import dev.modelhub.security.Caller;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The {@code audit_event} table. */
public class AuditStore {

  private static final String WHERE =
      " where (cast(:model as text) is null or model = :model)"
          + " and (cast(:actor as text) is null or actor = :actor)"
          + " and (cast(:action as text) is null or action = :action)"
          + " and (cast(:since as timestamptz) is null or at >= :since)"
          + " and (cast(:until as timestamptz) is null or at < :until)"
          + " and (cast(:outcome as text) is null or outcome = :outcome)"
          + " and (cast(:requestId as text) is null or request_id = :requestId)";

  private final JdbcClient jdbc;

  public AuditStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  public long insert(Caller caller, AuditEntry entry, String outcome, Instant at) {
    return jdbc.sql(
            "insert into audit_event (at, actor, actor_kind, key_id, action, outcome, model, version,"
                + " alias, job_id, target_key_id, detail, client_address, request_id)"
                + " values (:at, :actor, :kind, :keyId, :action, :outcome, :model, :version, :alias,"
                + " :job, :targetKey, :detail, :address, :requestId) returning id")
        .param("at", Timestamp.from(at))
        .param("actor", clip(caller.name(), 200))
        .param("kind", caller.kind().name().toLowerCase(Locale.ROOT))
        .param("keyId", caller.keyId())
        .param("action", clip(entry.action(), 200))
        .param("outcome", outcome)
        .param("model", clip(entry.model(), 63))
        .param("version", entry.version())
        .param("alias", clip(entry.alias(), 63))
        .param("job", entry.job())
        .param("targetKey", entry.key())
        .param("detail", clip(entry.detail(), 2000))
        .param("address", clip(caller.address(), 64))
        .param("requestId", clip(caller.requestId(), 64))
        .query(Long.class)
        .single();
  }

  public List<AuditEvent> list(AuditQuery filter, int page, int size) {
    return bind(
            jdbc.sql(
                "select * from audit_event"
                    + WHERE
                    + " order by id desc limit :size offset :offset"),
            filter)
        .param("size", size)
        .param("offset", (long) page * size)
        .query((rs, n) -> event(rs))
        .list();
  }

  public long count(AuditQuery filter) {
    return bind(jdbc.sql("select count(*) from audit_event" + WHERE), filter)
        .query(Long.class)
        .single();
  }

  private static JdbcClient.StatementSpec bind(JdbcClient.StatementSpec sql, AuditQuery filter) {
    return sql.param("model", filter.model())
        .param("actor", filter.actor())
        .param("action", filter.action())
        .param("since", filter.since() == null ? null : Timestamp.from(filter.since()))
        .param("until", filter.until() == null ? null : Timestamp.from(filter.until()))
        .param("outcome", filter.outcome())
        .param("requestId", filter.requestId());
  }

  private static AuditEvent event(ResultSet rs) throws SQLException {
    return new AuditEvent(
        rs.getLong("id"),
        rs.getTimestamp("at").toInstant(),
        rs.getString("actor"),
        rs.getString("actor_kind"),
        (Long) rs.getObject("key_id"),
        rs.getString("action"),
        rs.getString("outcome"),
        rs.getString("model"),
        (Integer) rs.getObject("version"),
        rs.getString("alias"),
        (Long) rs.getObject("job_id"),
        (Long) rs.getObject("target_key_id"),
        rs.getString("detail"),
        rs.getString("client_address"),
        rs.getString("request_id"));
  }

  private static String clip(String value, int max) {
    return value == null || value.length() <= max ? value : value.substring(0, max);
  }
}
