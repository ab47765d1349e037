package dev.modelhub.security;

/**
 * What an audit event is about. Build it with {@link #of(String)} and the {@code with…} methods.
 *
 * @param action what was done, such as {@code alias.move}
 * @param model the model's name, if any
 * @param version the version, if any
 * @param alias the alias, if any
 * @param job the job's id, if any
 * @param key the API key acted on, if any
 * @param detail a short human-readable account (such as {@code 2 → 3})
 */
public record AuditEntry(
    String action, String model, Integer version, String alias, Long job, Long key, String detail) {

  public static AuditEntry of(String action) {
    return new AuditEntry(action, null, null, null, null, null, null);
  }

  public AuditEntry withModel(String model) {
    return new AuditEntry(action, model, version, alias, job, key, detail);
  }

  public AuditEntry withVersion(Integer version) {
    return new AuditEntry(action, model, version, alias, job, key, detail);
  }

  public AuditEntry withAlias(String alias) {
    return new AuditEntry(action, model, version, alias, job, key, detail);
  }

  public AuditEntry withJob(Long job) {
    return new AuditEntry(action, model, version, alias, job, key, detail);
  }

  public AuditEntry withKey(Long key) {
    return new AuditEntry(action, model, version, alias, job, key, detail);
  }

  public AuditEntry withDetail(String detail) {
    return new AuditEntry(action, model, version, alias, job, key, detail);
  }
}
