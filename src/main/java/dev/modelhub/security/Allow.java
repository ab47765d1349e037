package dev.modelhub.security;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The rule of one endpoint: the least role that may call it. Every handler method of Modelhub's
 * controllers carries one (or {@link Public}); a handler without a rule is refused to everyone. A
 * path variable {@code name} is the model, checked against a limited key's patterns.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Allow {

  /** The least role that may call the endpoint. */
  Role value();

  /** Inference: callers without a key may call it when {@code modelhub.security.open-inference}. */
  boolean inference() default false;

  /**
   * Whether a key limited to model patterns may call it. Operations on no particular model (keys,
   * the audit trail) say false, so that only an unlimited key reaches them.
   */
  boolean scoped() default true;
}
