package dev.modelhub.common;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Gives every request an id: the client's {@code X-Request-Id} when it is a plain token, otherwise
 * a new one. It is echoed in the response, put in the log context ({@code requestId}) and recorded
 * with audit events, so one id ties a client's report to the server's log.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestIds extends OncePerRequestFilter {

  /** The request and response header. */
  public static final String HEADER = "X-Request-Id";

  private static final String ATTRIBUTE = RequestIds.class.getName();
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  /** The id of {@code request} (null outside a request that went through this filter). */
  public static String of(HttpServletRequest request) {
    Object id = request.getAttribute(ATTRIBUTE);
    return id == null ? null : id.toString();
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String offered = request.getHeader(HEADER);
    String id =
        offered != null && TOKEN.matcher(offered).matches()
            ? offered
            : UUID.randomUUID().toString();
    request.setAttribute(ATTRIBUTE, id);
    response.setHeader(HEADER, id);
    MDC.put("requestId", id);
    try {
      chain.doFilter(request, response);
    } finally {
      MDC.remove("requestId");
    }
  }
}
