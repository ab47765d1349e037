package dev.modelhub.common;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * This node's roles, read from {@code modelhub.roles} (comma-separated {@code api}, {@code
 * serving}, {@code worker}; all three when unset). Read once at start: a node's roles decide which
 * of its beans exist, so they cannot change while it runs.
 */
public final class NodeRoles {

  /** The switches the roles replaced; a node that still sets one stops rather than ignore it. */
  private static final List<String> REPLACED =
      List.of("modelhub.serving.enabled", "modelhub.jobs.enabled");

  private final Set<NodeRole> roles;

  private NodeRoles(Set<NodeRole> roles) {
    this.roles = roles;
  }

  /** The roles the environment sets, checked: at least one, no unknown name, no old switch. */
  public static NodeRoles of(Environment environment) {
    for (String key : REPLACED) {
      if (environment.containsProperty(key)) {
        throw new IllegalStateException(
            key
                + " was replaced by modelhub.roles (api, serving, worker; all three by default):"
                + " remove it and list this node's roles instead");
      }
    }
    List<NodeRole> listed;
    try {
      listed =
          Binder.get(environment)
              .bind("modelhub.roles", Bindable.listOf(NodeRole.class))
              .orElse(List.of(NodeRole.values()));
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "modelhub.roles must list api, serving and/or worker, comma-separated; it is '"
              + environment.getProperty("modelhub.roles")
              + "'",
          e);
    }
    if (listed.isEmpty()) {
      throw new IllegalStateException(
          "modelhub.roles is empty: a node needs at least one of api, serving, worker");
    }
    return new NodeRoles(EnumSet.copyOf(listed));
  }

  public boolean has(NodeRole role) {
    return roles.contains(role);
  }

  public Set<NodeRole> roles() {
    return EnumSet.copyOf(roles);
  }

  /** {@code api,serving}: as the setting spells them. */
  @Override
  public String toString() {
    return roles.stream().map(NodeRole::label).collect(Collectors.joining(","));
  }
}
