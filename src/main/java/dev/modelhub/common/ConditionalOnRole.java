package dev.modelhub.common;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Conditional;

/**
 * A bean, configuration or controller that exists only on nodes with this role in {@code
 * modelhub.roles} (all roles when unset); with {@code absent = true}, only on nodes without it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Conditional(OnRoleCondition.class)
public @interface ConditionalOnRole {
  NodeRole value();

  /** Match nodes that do not have the role (for the answers that say where to go instead). */
  boolean absent() default false;
}
