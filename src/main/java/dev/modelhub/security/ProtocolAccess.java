package dev.modelhub.security;

import dev.modelhub.security.internal.CallerAuthentication;
import dev.modelhub.security.internal.FailureBudget;
import dev.modelhub.security.internal.RefusalFilter;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

/**
 * The HTTP API's access rules for inference arriving over another protocol (gRPC): the same bearer
 * keys and JWTs, the same per-address failure budget, the same roles and model scopes, and refusals
 * in the same audit trail. {@link #authenticate} runs once per call from its metadata; {@link
 * #authorize} once the call names its model.
 */
public class ProtocolAccess {

  private static final Logger log = LoggerFactory.getLogger(ProtocolAccess.class);

  /** Why a call was refused, as the protocol answers it. */
  public enum Refusal {
    /** No, or no valid, credentials (HTTP 401, gRPC UNAUTHENTICATED). */
    UNAUTHENTICATED,
    /** A role or model scope that may not (403, PERMISSION_DENIED). */
    FORBIDDEN,
    /** The address used up its failure budget (429, RESOURCE_EXHAUSTED). */
    THROTTLED,
    /** Keys cannot be checked right now (503, UNAVAILABLE). */
    UNAVAILABLE
  }

  /** A refused call: what to answer, and a message that says what to fix. */
  public static final class Refused extends RuntimeException {
    private final Refusal refusal;

    Refused(Refusal refusal, String message) {
      super(message, null, false, false);
      this.refusal = refusal;
    }

    public Refusal refusal() {
      return refusal;
    }
  }

  private final AuthenticationManager bearer;
  private final FailureBudget budget;
  private final AuditLog audit;
  private final AccessProperties properties;
  private final FailureBudget auditBudget =
      new FailureBudget(RefusalFilter.AUDIT_BURST, Duration.ofSeconds(1), System::nanoTime);

  public ProtocolAccess(
      AuthenticationManager bearer,
      FailureBudget budget,
      AuditLog audit,
      AccessProperties properties) {
    this.bearer = bearer;
    this.budget = budget;
    this.audit = audit;
    this.properties = properties;
  }

  /**
   * The caller of a call carrying {@code authorization} (its {@code authorization} metadata, or
   * null) from {@code address}: a key or JWT holder, or anonymous when inference is open and no
   * credentials came.
   *
   * @param action what the call is, for the audit trail ({@code gRPC ModelInfer})
   * @throws Refused the credentials fail, or the address used up its budget
   */
  public Caller authenticate(String authorization, String address, String action) {
    String client = RefusalFilter.clientKey(address);
    if (authorization == null || authorization.isBlank()) {
      if (properties.openInference()) {
        return Caller.anonymous(address, null);
      }
      throw refuse(
          Caller.anonymous(address, null),
          action,
          null,
          Refusal.UNAUTHENTICATED,
          "This call needs an API key: send it as 'authorization: Bearer <key>' metadata.");
    }
    Duration wait = budget.waitFor(client);
    if (!wait.isZero()) {
      throw new Refused(
          Refusal.THROTTLED,
          "Too many requests from this address were refused; retry in "
              + Math.max(1, (wait.toMillis() + 999) / 1000)
              + " s.");
    }
    String token =
        authorization.regionMatches(true, 0, "Bearer ", 0, 7)
            ? authorization.substring(7).trim()
            : null;
    Authentication authenticated;
    try {
      if (token == null || token.isEmpty()) {
        throw new BadCredentialsException("not a bearer token");
      }
      authenticated = bearer.authenticate(new BearerTokenAuthenticationToken(token));
    } catch (AuthenticationServiceException e) {
      log.warn("Could not check credentials of a {} call: {}", action, e.getMessage());
      throw new Refused(Refusal.UNAVAILABLE, "Keys cannot be checked right now; retry shortly.");
    } catch (AuthenticationException e) {
      budget.spend(client);
      throw refuse(
          Caller.anonymous(address, null),
          action,
          null,
          Refusal.UNAUTHENTICATED,
          "The key or token was not accepted: it is unknown, expired or revoked.");
    }
    if (!(authenticated instanceof CallerAuthentication caller)) {
      throw new Refused(Refusal.UNAUTHENTICATED, "The credentials name no Modelhub caller.");
    }
    return caller.identity().caller(address, null);
  }

  /**
   * Checks that {@code caller} may run {@code needed}-role calls on {@code model} (null for calls
   * about the server).
   *
   * @throws Refused it may not
   */
  public void authorize(Caller caller, Role needed, String model, String action) {
    if (caller.kind() == Caller.Kind.ANONYMOUS) {
      return; // only ever made when inference is open
    }
    if (!caller.has(needed)) {
      throw refuse(
          caller,
          action,
          model,
          Refusal.FORBIDDEN,
          "This call needs the "
              + needed.id()
              + " role; "
              + (caller.role() == null
                  ? "this token carries no role."
                  : "this key is " + caller.role().id() + "."));
    }
    if (model != null && !caller.mayAccess(model)) {
      throw refuse(
          caller,
          action,
          model,
          Refusal.FORBIDDEN,
          "This key is limited to the models " + caller.scope().patterns() + ".");
    }
  }

  private Refused refuse(
      Caller caller, String action, String model, Refusal refusal, String message) {
    String client = RefusalFilter.clientKey(caller.address());
    if (!auditBudget.waitFor(client).isZero()) {
      return new Refused(refusal, message); // over the audit rate, like refusals over HTTP
    }
    auditBudget.spend(client);
    try {
      audit.refusal(
          caller,
          AuditEntry.of(action).withModel(model).withDetail(message),
          refusal == Refusal.UNAUTHENTICATED ? "unauthenticated" : "denied");
    } catch (RuntimeException e) {
      log.warn("Could not write a refusal to the audit trail: {}", e.toString());
    }
    return new Refused(refusal, message);
  }
}
