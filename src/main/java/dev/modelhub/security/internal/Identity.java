package dev.modelhub.security.internal;

import dev.modelhub.security.Caller;
import dev.modelhub.security.ModelScope;
import dev.modelhub.security.Role;

/**
 * Who a request authenticated as, before the request's own facts (address, id) are added.
 *
 * @param name the key's name or the JWT's subject
 * @param kind KEY or JWT
 * @param role the role, or null when a JWT carries none
 * @param scope the models it may touch
 * @param keyId the key's id, for keys
 */
public record Identity(String name, Caller.Kind kind, Role role, ModelScope scope, Long keyId) {

  /** The caller this identity is, coming from {@code address} with {@code requestId}. */
  public Caller caller(String address, String requestId) {
    return new Caller(name, kind, role, scope, keyId, address, requestId);
  }
}
