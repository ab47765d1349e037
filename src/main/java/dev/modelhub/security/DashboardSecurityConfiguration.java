package dev.modelhub.security;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.security.internal.DashboardSessions;
import dev.modelhub.security.internal.KeyAuthenticator;
import dev.modelhub.security.internal.RefusalFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandlerImpl;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.csrf.CsrfFilter;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;

/**
 * The dashboard's filter chain ({@code /ui/**}): a person signs in once with an API key, held in
 * their server session; forms carry a CSRF token; the session cookie is {@code HttpOnly}, {@code
 * SameSite=Lax} and {@code Secure} over HTTPS. Which page or action a person may use is decided by
 * the same {@link Allow} rules as the API.
 */
@ConditionalOnRole(NodeRole.API)
@Configuration(proxyBeanMethods = false)
class DashboardSecurityConfiguration {

  static final String SIGN_IN = "/ui/sign-in";
  static final String FORM_EXPIRED = "/ui/form-expired";

  private static AccessDeniedHandlerImpl formExpired() {
    AccessDeniedHandlerImpl handler = new AccessDeniedHandlerImpl();
    handler.setErrorPage(FORM_EXPIRED);
    return handler;
  }

  @Bean
  DashboardSessions dashboardSessions(KeyAuthenticator keys, AccessProperties properties) {
    return new DashboardSessions(keys, properties.dashboardSession());
  }

  @Bean
  @Order(1)
  SecurityFilterChain dashboardChain(
      HttpSecurity http, DashboardSessions sessions, RefusalFilter refusals) throws Exception {
    http.securityMatcher("/ui/**", "/ui")
        // refusals (a bad key at sign-in, a missing CSRF token, a role too low) are audited and a
        // bad key spends the address's failure budget, as on the API
        .addFilterBefore(refusals, CsrfFilter.class)
        .httpBasic(AbstractHttpConfigurer::disable)
        .formLogin(AbstractHttpConfigurer::disable)
        .logout(AbstractHttpConfigurer::disable)
        .requestCache(AbstractHttpConfigurer::disable)
        .securityContext(context -> context.securityContextRepository(sessions))
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.IF_REQUIRED))
        // Scripts, styles and images from this server only; no framing; no address in Referer
        // headers to other sites.
        .headers(
            headers ->
                headers
                    .contentSecurityPolicy(
                        csp ->
                            csp.policyDirectives(
                                "default-src 'self'; img-src 'self' data:; object-src 'none';"
                                    + " frame-ancestors 'none'; base-uri 'self'; form-action"
                                    + " 'self'"))
                    .referrerPolicy(
                        referrer ->
                            referrer.policy(ReferrerPolicyHeaderWriter.ReferrerPolicy.SAME_ORIGIN)))
        .exceptionHandling(
            e ->
                e.authenticationEntryPoint(new LoginUrlAuthenticationEntryPoint(SIGN_IN))
                    // only a missing or stale CSRF token is refused by the chain itself (roles are
                    // the @Allow rules'): a page that says so, with a 403
                    .accessDeniedHandler(formExpired()))
        .authorizeHttpRequests(
            rules ->
                rules
                    .requestMatchers(SIGN_IN, FORM_EXPIRED, "/ui/assets/**", "/ui/webjars/**")
                    .permitAll()
                    .anyRequest()
                    .authenticated());
    return http.build();
  }
}
