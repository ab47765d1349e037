package dev.modelhub.security.internal;

import dev.modelhub.common.RequestIds;
import dev.modelhub.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/** The caller of the request being handled, from Spring Security's context. */
public final class CallerContext {

  private CallerContext() {}

  /** The authenticated identity, or null for a caller without credentials. */
  public static Identity identity() {
    Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
    return authentication instanceof CallerAuthentication caller ? caller.identity() : null;
  }

  /** The caller of {@code request}: its identity, address and request id. */
  public static Caller caller(HttpServletRequest request) {
    Identity identity = identity();
    String requestId = RequestIds.of(request);
    return identity == null
        ? Caller.anonymous(request.getRemoteAddr(), requestId)
        : identity.caller(request.getRemoteAddr(), requestId);
  }
}
