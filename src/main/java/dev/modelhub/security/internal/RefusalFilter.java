package dev.modelhub.security.internal;

import dev.modelhub.common.ProblemDetailsAdvice;
import dev.modelhub.security.AuditEntry;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.Caller;
import dev.modelhub.security.ModelScope;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Watches every request that Spring Security or an access rule refused. Each refusal (401, 403) is
 * written to the audit trail (at most {@code AUDIT_BURST} per address, then one a second, so a
 * flood cannot fill the database). A request whose credentials failed also spends one unit of the
 * client address's failure budget; an address that has used its budget up is answered 429 before
 * its credentials are even looked at — so guessing keys is slow, and the answer never depends on
 * whether a guessed key exists. Probes without credentials are never slowed down. IPv6 clients
 * count per /64, the block one client usually holds.
 */
public class RefusalFilter extends OncePerRequestFilter {

  private static final Logger log = LoggerFactory.getLogger(RefusalFilter.class);
  private static final Pattern MODEL_IN_PATH =
      Pattern.compile("^/(?:api/v1|v1|v2)/models/([a-z0-9][a-z0-9._-]{0,62})(?:[/:].*)?$");

  /** Refusals one address may have audited at once; then one a second. */
  public static final int AUDIT_BURST = 120;

  private final FailureBudget budget;
  private final FailureBudget auditBudget =
      new FailureBudget(AUDIT_BURST, Duration.ofSeconds(1), System::nanoTime);
  private final AuditLog audit;
  private final ProblemResponses problems;

  public RefusalFilter(FailureBudget budget, AuditLog audit, ProblemResponses problems) {
    this.budget = budget;
    this.audit = audit;
    this.problems = problems;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String address = clientKey(request.getRemoteAddr());
    boolean credentials = request.getHeader(HttpHeaders.AUTHORIZATION) != null;
    Duration wait = probe(request) && !credentials ? Duration.ZERO : budget.waitFor(address);
    if (!wait.isZero()) {
      long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
      response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
      problems.write(
          request,
          response,
          429,
          "too-many-failures",
          "Too many failed requests",
          "Too many requests from this address were refused; retry in " + seconds + " s.");
      return;
    }
    chain.doFilter(request, response);
    int status = response.getStatus();
    if (status != 401 && status != 403) {
      return;
    }
    boolean badCredentials = request.getAttribute(KeyAuthenticator.FAILURE_REASON) != null;
    boolean exhausted = badCredentials && budget.spend(address);
    if (auditBudget.waitFor(address).isZero()) {
      auditBudget.spend(address);
      record(request, status == 401 ? "unauthenticated" : "denied", null);
    } else {
      log.debug("Refusal from {} not audited: over the audit rate", address);
    }
    if (exhausted) {
      record(request, "throttled", "failure budget used up; further requests answered 429");
    }
  }

  private void record(HttpServletRequest request, String outcome, String note) {
    try {
      Caller caller = CallerContext.caller(request);
      Object failure = request.getAttribute(KeyAuthenticator.FAILURE_REASON);
      if (failure instanceof KeyAuthenticator.InvalidKey invalid && invalid.key() != null) {
        StoredKey key = invalid.key();
        caller =
            new Caller(
                key.name(),
                Caller.Kind.KEY,
                key.role(),
                ModelScope.ALL,
                key.id(),
                caller.address(),
                caller.requestId());
      }
      Object problem = request.getAttribute(ProblemDetailsAdvice.DETAIL_ATTRIBUTE);
      String detail =
          note != null
              ? note
              : failure instanceof Exception e
                  ? e.getMessage()
                  : problem != null ? problem.toString() : outcome;
      audit.refusal(
          caller,
          AuditEntry.of(request.getMethod() + " " + pattern(request))
              .withModel(model(request))
              .withDetail(detail),
          outcome);
    } catch (RuntimeException e) {
      log.warn("Could not write a refusal to the audit trail: {}", e.toString());
    }
  }

  /** The address a budget is kept for: IPv4 as is, IPv6 by its /64 block. */
  public static String clientKey(String address) {
    if (address == null || address.indexOf(':') < 0) {
      return address;
    }
    try {
      byte[] bytes = InetAddress.getByName(address).getAddress();
      if (bytes.length == 16) {
        return HexFormat.of().formatHex(bytes, 0, 8) + "::/64";
      }
    } catch (UnknownHostException e) {
      // not a literal: keep it whole
    }
    return address;
  }

  /** Liveness, readiness and the v2 health checks: never throttled. */
  private static boolean probe(HttpServletRequest request) {
    String path = request.getRequestURI();
    return path.startsWith("/actuator/health") || path.startsWith("/v2/health/");
  }

  private static String pattern(HttpServletRequest request) {
    Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
    String path = pattern != null ? pattern.toString() : request.getRequestURI();
    return path.length() <= 180 ? path : path.substring(0, 180);
  }

  private static String model(HttpServletRequest request) {
    Object variables = request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
    if (variables instanceof Map<?, ?> map && map.get(AccessInterceptor.MODEL_VARIABLE) != null) {
      return map.get(AccessInterceptor.MODEL_VARIABLE).toString();
    }
    Matcher matcher = MODEL_IN_PATH.matcher(request.getRequestURI());
    return matcher.matches() ? matcher.group(1) : null;
  }
}
