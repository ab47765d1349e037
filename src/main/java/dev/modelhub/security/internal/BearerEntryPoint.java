package dev.modelhub.security.internal;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * 401 and 403 from the filter chain as problems. A missing key and a bad one get different
 * challenges (RFC 6750), but an unknown, expired and revoked key get the very same answer.
 */
public class BearerEntryPoint implements AuthenticationEntryPoint, AccessDeniedHandler {

  private final ProblemResponses problems;

  public BearerEntryPoint(ProblemResponses problems) {
    this.problems = problems;
  }

  @Override
  public void commence(
      HttpServletRequest request, HttpServletResponse response, AuthenticationException failure)
      throws IOException {
    if (failure instanceof InsufficientAuthenticationException) {
      response.setHeader(HttpHeaders.WWW_AUTHENTICATE, ProblemResponses.CHALLENGE);
      problems.write(
          request,
          response,
          401,
          "unauthenticated",
          "Authentication required",
          "This operation needs an API key: send 'Authorization: Bearer <key>'.");
      return;
    }
    request.setAttribute(KeyAuthenticator.FAILURE_REASON, failure);
    response.setHeader(HttpHeaders.WWW_AUTHENTICATE, ProblemResponses.INVALID_TOKEN_CHALLENGE);
    problems.write(
        request,
        response,
        401,
        "invalid-credentials",
        "Invalid credentials",
        "The API key or token is not valid: it is unknown, expired or revoked.");
  }

  @Override
  public void handle(
      HttpServletRequest request, HttpServletResponse response, AccessDeniedException denied)
      throws IOException {
    problems.write(
        request,
        response,
        403,
        "forbidden",
        "Forbidden",
        "This key's role may not call this endpoint (the operator's Actuator endpoints need the"
            + " admin role; Prometheus needs viewer).");
  }
}
