package dev.modelhub.security.internal;

import dev.modelhub.security.KeyView;
import dev.modelhub.security.ModelScope;
import dev.modelhub.security.Role;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

/** The {@code api_key} table. */
public class ApiKeyStore {

  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

  private final JdbcClient jdbc;
  private final ObjectMapper json;

  public ApiKeyStore(JdbcClient jdbc, ObjectMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  public long insert(
      String name,
      String key,
      Role role,
      List<String> models,
      Instant expiresAt,
      Instant now,
      String createdBy) {
    return jdbc.sql(
            "insert into api_key (name, prefix, hash, role, models, expires_at, created_at, created_by)"
                + " values (:name, :prefix, :hash, :role, cast(:models as jsonb), :expires, :now, :by)"
                + " returning id")
        .param("name", name)
        .param("prefix", KeyMaterial.prefix(key))
        .param("hash", KeyMaterial.hash(key))
        .param("role", role.name())
        .param("models", json.writeValueAsString(models))
        .param("expires", timestamp(expiresAt))
        .param("now", timestamp(now))
        .param("by", createdBy)
        .query(Long.class)
        .single();
  }

  public Optional<StoredKey> findByPrefix(String prefix) {
    return jdbc.sql("select * from api_key where prefix = :prefix")
        .param("prefix", prefix)
        .query((rs, n) -> stored(rs))
        .optional();
  }

  public boolean existsWithHash(String hash) {
    return jdbc.sql("select count(*) from api_key where hash = :hash")
            .param("hash", hash)
            .query(Long.class)
            .single()
        > 0;
  }

  public boolean activeNameTaken(String name) {
    return jdbc.sql("select count(*) from api_key where name = :name and revoked_at is null")
            .param("name", name)
            .query(Long.class)
            .single()
        > 0;
  }

  public long count() {
    return jdbc.sql("select count(*) from api_key").query(Long.class).single();
  }

  /** Working admin keys limited to no model, other than {@code exceptId}. */
  public long otherActiveGlobalAdmins(long exceptId, Instant now) {
    return jdbc.sql(
            "select count(*) from api_key where id <> :id and role = 'ADMIN' and revoked_at is null"
                + " and (expires_at is null or expires_at > :now) and models = '[]'::jsonb")
        .param("id", exceptId)
        .param("now", timestamp(now))
        .query(Long.class)
        .single();
  }

  public Optional<KeyView> find(long id) {
    return jdbc.sql("select * from api_key where id = :id")
        .param("id", id)
        .query((rs, n) -> view(rs))
        .optional();
  }

  public List<KeyView> list(boolean includeRevoked, int page, int size) {
    return jdbc.sql(
            "select * from api_key where (:all or revoked_at is null)"
                + " order by id desc limit :size offset :offset")
        .param("all", includeRevoked)
        .param("size", size)
        .param("offset", (long) page * size)
        .query((rs, n) -> view(rs))
        .list();
  }

  public long countListed(boolean includeRevoked) {
    return jdbc.sql("select count(*) from api_key where (:all or revoked_at is null)")
        .param("all", includeRevoked)
        .query(Long.class)
        .single();
  }

  /** Marks a key revoked; false when it already was. */
  public boolean revoke(long id, Instant now, String by) {
    return jdbc.sql(
                "update api_key set revoked_at = :now, revoked_by = :by"
                    + " where id = :id and revoked_at is null")
            .param("now", timestamp(now))
            .param("by", by)
            .param("id", id)
            .update()
        == 1;
  }

  /** Revokes every working key made by {@code createdBy}; answers how many. */
  public int revokeCreatedBy(String createdBy, Instant now, String by) {
    return jdbc.sql(
            "update api_key set revoked_at = :now, revoked_by = :by"
                + " where created_by = :createdBy and revoked_at is null")
        .param("now", timestamp(now))
        .param("by", by)
        .param("createdBy", createdBy)
        .update();
  }

  /** Records a use, at most once a minute per key (a write per request would be wasted). */
  public void touch(long id, Instant now) {
    jdbc.sql(
            "update api_key set last_used_at = :now where id = :id"
                + " and (last_used_at is null"
                + " or last_used_at < cast(:now as timestamptz) - interval '1 minute')")
        .param("now", timestamp(now))
        .param("id", id)
        .update();
  }

  /** Serializes key bootstrapping between nodes starting at once (until the transaction ends). */
  public void lockForBootstrap() {
    jdbc.sql("select pg_advisory_xact_lock(7461627)").query().singleRow();
  }

  private StoredKey stored(ResultSet rs) throws SQLException {
    return new StoredKey(
        rs.getLong("id"),
        rs.getString("name"),
        rs.getString("hash"),
        Role.valueOf(rs.getString("role")),
        new ModelScope(json.readValue(rs.getString("models"), STRINGS)),
        instant(rs, "expires_at"),
        instant(rs, "revoked_at"),
        instant(rs, "last_used_at"));
  }

  private KeyView view(ResultSet rs) throws SQLException {
    return new KeyView(
        rs.getLong("id"),
        rs.getString("name"),
        Role.valueOf(rs.getString("role")).id(),
        json.readValue(rs.getString("models"), STRINGS),
        rs.getString("prefix"),
        instant(rs, "expires_at"),
        instant(rs, "created_at"),
        rs.getString("created_by"),
        instant(rs, "last_used_at"),
        instant(rs, "revoked_at"),
        rs.getString("revoked_by"));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp value = rs.getTimestamp(column);
    return value == null ? null : value.toInstant();
  }

  private static Timestamp timestamp(Instant instant) {
    return instant == null ? null : Timestamp.from(instant);
  }
}
