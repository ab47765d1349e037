package dev.modelhub.common;

import java.util.Map;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches {@link ConditionalOnRole} against the node's {@code modelhub.roles}. */
class OnRoleCondition implements Condition {

  @Override
  public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
    Map<String, Object> attributes =
        metadata.getAnnotationAttributes(ConditionalOnRole.class.getName());
    if (attributes == null) {
      return true;
    }
    NodeRole role = (NodeRole) attributes.get("value");
    boolean absent = (Boolean) attributes.get("absent");
    boolean present = NodeRoles.of(context.getEnvironment()).has(role);
    return present != absent;
  }
}
