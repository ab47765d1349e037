package dev.modelhub.security;

/**
 * Who makes a request: the identity it authenticated as, and where it came from. Controllers take
 * it as a method argument; its {@link #name()} is the actor recorded on versions, aliases, jobs and
 * audit events.
 *
 * @param name the key's name, the JWT's subject, {@code anonymous}, or what the system acts for
 * @param kind how it authenticated
 * @param role its role, or null when anonymous
 * @param scope the models it may touch
 * @param keyId the API key's id, when it used one
 * @param address the client's address, when it came over HTTP
 * @param requestId the request's id (echoed as {@code X-Request-Id})
 */
public record Caller(
    String name,
    Kind kind,
    Role role,
    ModelScope scope,
    Long keyId,
    String address,
    String requestId) {

  /** How a caller authenticated. */
  public enum Kind {
    KEY,
    JWT,
    ANONYMOUS,
    SYSTEM
  }

  /** Whether the caller holds {@code needed} (or a higher role). */
  public boolean has(Role needed) {
    return role != null && role.includes(needed);
  }

  /** Whether the caller may touch the model named {@code model}. */
  public boolean mayAccess(String model) {
    return scope.allows(model);
  }

  /** A caller without credentials. */
  public static Caller anonymous(String address, String requestId) {
    return new Caller("anonymous", Kind.ANONYMOUS, null, ModelScope.ALL, null, address, requestId);
  }

  /**
   * Modelhub itself acting for someone, outside a request: a job registering its variant on behalf
   * of whoever submitted it.
   */
  public static Caller system(String actingFor) {
    return new Caller(actingFor, Kind.SYSTEM, Role.ADMIN, ModelScope.ALL, null, null, null);
  }
}
