package dev.modelhub.security;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** What a caller may do; each role includes every one before it. */
public enum Role {
  /** Read models, versions, reports, jobs and serving status; run inference. */
  VIEWER,
  /** Upload versions and datasets, edit tags and descriptions, start and cancel jobs. */
  PUBLISHER,
  /** Move and delete aliases: promote and roll back. */
  DEPLOYER,
  /** Archive versions, delete models, manage keys, read the audit trail and Actuator. */
  ADMIN;

  /** Whether this role may do what {@code needed} may. */
  public boolean includes(Role needed) {
    return compareTo(needed) >= 0;
  }

  /** The lower-case name used in the API ({@code viewer}, …). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The Spring Security authorities of this role: {@code ROLE_X} for it and every lower role. */
  public List<String> authorities() {
    return Arrays.stream(values()).filter(this::includes).map(r -> "ROLE_" + r.name()).toList();
  }

  /** The role named {@code id} (any case), if there is one. */
  public static Optional<Role> fromId(String id) {
    if (id == null) {
      return Optional.empty();
    }
    return Arrays.stream(values()).filter(r -> r.name().equalsIgnoreCase(id.strip())).findFirst();
  }
}
