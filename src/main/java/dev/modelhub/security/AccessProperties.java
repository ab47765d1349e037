package dev.modelhub.security;

import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.List;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Identity and access ({@code modelhub.security.*}).
 *
 * @param adminKey an admin API key to make sure exists at start-up (set it from the {@code
 *     MODELHUB_ADMIN_KEY} environment variable); when unset and no key exists yet, one is generated
 *     and logged once
 * @param openInference whether inference ({@code /v2/**}, {@code /v1/models/**}, gRPC and the
 *     pipelines' {@code /api/v1/models/{m}/predict}) answers callers without a key (a key limited
 *     to other models is still refused)
 * @param keyCacheTtl how long a node trusts a key it has checked before reading it again; bounds
 *     how long a revoked or expired key keeps working on a node (at most 1 s, the promise that a
 *     revoked key stops working within a second on every node)
 * @param failureBudget failed authentications one client address may make before it is slowed down
 * @param failureRefill time in which one spent failure of that budget comes back
 * @param dashboardSession how long a dashboard session lasts without a request once signed in
 *     (before sign-in, a session holding only the form's CSRF token lasts {@code
 *     server.servlet.session.timeout})
 * @param cors cross-origin requests
 * @param jwt how JWTs map to callers, when {@code spring.security.oauth2.resourceserver.jwt.*} is
 *     set
 */
@Validated
@ConfigurationProperties("modelhub.security")
public record AccessProperties(
    String adminKey,
    @DefaultValue("false") boolean openInference,
    @DefaultValue("250ms") @DurationMin(millis = 0) @DurationMax(seconds = 1) Duration keyCacheTtl,
    @DefaultValue("20") @Min(1) int failureBudget,
    @DefaultValue("3s") @DurationMin(millis = 1) Duration failureRefill,
    @DefaultValue("8h") @DurationMin(minutes = 1) Duration dashboardSession,
    @DefaultValue Cors cors,
    @DefaultValue Jwt jwt) {

  @Override
  public String toString() {
    return "AccessProperties[adminKey="
        + (adminKey == null || adminKey.isEmpty() ? "unset" : "***")
        + ", openInference="
        + openInference
        + ", keyCacheTtl="
        + keyCacheTtl
        + "]";
  }

  /**
   * Cross-origin requests ({@code modelhub.security.cors.*}); closed unless origins are named.
   *
   * @param allowedOrigins origins (such as {@code https://ml.example.com}) whose pages may call the
   *     API from a browser
   */
  public record Cors(@DefaultValue List<String> allowedOrigins) {}

  /**
   * Claims a JWT from the organisation's OIDC provider is read with ({@code
   * modelhub.security.jwt.*}).
   *
   * @param nameClaim the claim naming the caller (recorded as the actor)
   * @param roleClaim the claim holding the role ({@code viewer}…{@code admin}, or a list of them:
   *     the highest counts); a token without one may do nothing
   * @param modelsClaim the claim holding model-name patterns the caller is limited to; absent means
   *     every model
   */
  public record Jwt(
      @DefaultValue("sub") String nameClaim,
      @DefaultValue("modelhub_role") String roleClaim,
      @DefaultValue("modelhub_models") String modelsClaim) {}
}
