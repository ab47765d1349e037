package dev.modelhub.security.internal;

import dev.modelhub.security.AccessProperties;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Public;
import dev.modelhub.security.Role;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.annotation.Annotation;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Enforces each Modelhub endpoint's {@link Allow} rule before its arguments are read (so a refused
 * upload sends no body to storage): authenticated, role high enough, and the model in the path
 * within a limited key's patterns. A Modelhub handler without a rule is refused to everyone.
 */
public class AccessInterceptor implements HandlerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(AccessInterceptor.class);

  /** The path variable that names a model in every Modelhub route. */
  public static final String MODEL_VARIABLE = "name";

  private final AccessProperties properties;

  public AccessInterceptor(AccessProperties properties) {
    this.properties = properties;
  }

  @Override
  public boolean preHandle(
      HttpServletRequest request, HttpServletResponse response, Object handler) {
    if (!(handler instanceof HandlerMethod method)
        || !isModelhub(method)
        || method.getBean() instanceof ErrorController) {
      return true; // springdoc, the error page: covered by the filter chain's URL rules
    }
    if (rule(method, Public.class) != null) {
      return true;
    }
    Allow allow = rule(method, Allow.class);
    if (allow == null) {
      log.error("{} has no @Allow or @Public rule; refusing it to everyone", method);
      throw new AccessExceptions.Forbidden("This operation has no access rule.");
    }
    Identity identity = CallerContext.identity();
    if (identity == null) {
      if (allow.inference() && properties.openInference()) {
        return true;
      }
      throw new AccessExceptions.Unauthenticated();
    }
    Role role = identity.role();
    if (role == null || !role.includes(allow.value())) {
      throw new AccessExceptions.Forbidden(
          "This operation needs the "
              + allow.value().id()
              + " role; "
              + (role == null ? "this token carries no role." : "this key is " + role.id() + "."));
    }
    if (!allow.scoped() && !identity.scope().unrestricted()) {
      throw new AccessExceptions.Forbidden(
          "This operation needs a key that is not limited to models; this key is limited to "
              + identity.scope().patterns()
              + ".");
    }
    String model = modelOf(request);
    if (model != null && !identity.scope().allows(model)) {
      throw new AccessExceptions.Forbidden(
          "This key is limited to the models " + identity.scope().patterns() + ".");
    }
    return true;
  }

  /** The rule of a handler: on the method, else on its class. */
  public static <A extends Annotation> A rule(HandlerMethod method, Class<A> type) {
    A onMethod = AnnotatedElementUtils.findMergedAnnotation(method.getMethod(), type);
    return onMethod != null
        ? onMethod
        : AnnotatedElementUtils.findMergedAnnotation(method.getBeanType(), type);
  }

  /** Whether a handler is one of Modelhub's own. */
  public static boolean isModelhub(HandlerMethod method) {
    return method.getBeanType().getPackageName().startsWith("dev.modelhub");
  }

  @SuppressWarnings("unchecked")
  private static String modelOf(HttpServletRequest request) {
    Object variables = request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
    return variables instanceof Map<?, ?> map
        ? ((Map<String, String>) map).get(MODEL_VARIABLE)
        : null;
  }
}
