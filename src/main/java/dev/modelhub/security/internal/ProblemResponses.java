package dev.modelhub.security.internal;

import dev.modelhub.common.ModelhubException;
import dev.modelhub.common.ProtocolErrors;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;

/**
 * Writes RFC 9457 problems from servlet filters, which answer before Spring MVC's advice can: the
 * same shape {@code ProblemDetailsAdvice} writes for everything else.
 */
public class ProblemResponses {

  /** {@code WWW-Authenticate} for a request without credentials (RFC 6750). */
  public static final String CHALLENGE = "Bearer realm=\"modelhub\"";

  /** {@code WWW-Authenticate} for a request whose credentials failed. */
  public static final String INVALID_TOKEN_CHALLENGE =
      "Bearer realm=\"modelhub\", error=\"invalid_token\"";

  private final ObjectMapper json;

  public ProblemResponses(ObjectMapper json) {
    this.json = json;
  }

  public void write(
      HttpServletRequest request,
      HttpServletResponse response,
      int status,
      String slug,
      String title,
      String detail)
      throws IOException {
    Map<String, Object> problem = new LinkedHashMap<>();
    problem.put("type", ModelhubException.PROBLEM_BASE + slug);
    problem.put("title", title);
    problem.put("status", status);
    problem.put("detail", detail);
    problem.put("instance", request.getRequestURI());
    if (ProtocolErrors.inferencePath(request)) {
      problem.put(ProtocolErrors.MEMBER, ProtocolErrors.message(detail, title));
    }
    response.setStatus(status);
    response.setContentType("application/problem+json");
    response.getOutputStream().write(json.writeValueAsBytes(problem));
  }
}
