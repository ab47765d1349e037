package dev.modelhub.security;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.security.internal.AccessInterceptor;
import dev.modelhub.security.internal.AdminKeyBootstrap;
import dev.modelhub.security.internal.ApiKeyStore;
import dev.modelhub.security.internal.AuditStore;
import dev.modelhub.security.internal.BearerEntryPoint;
import dev.modelhub.security.internal.CallerArgumentResolver;
import dev.modelhub.security.internal.FailureBudget;
import dev.modelhub.security.internal.JwtCallers;
import dev.modelhub.security.internal.KeyAuthenticator;
import dev.modelhub.security.internal.KeyMaterial;
import dev.modelhub.security.internal.ProblemResponses;
import dev.modelhub.security.internal.RefusalFilter;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Clock;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpMethod;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.util.matcher.AndRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.CorsConfigurationSource;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.databind.ObjectMapper;

/**
 * The filter chain and the access rules. Credentials are bearer tokens only (no sessions, cookies
 * or passwords): API keys, and JWTs when an issuer is configured. Actuator's endpoints are ruled by
 * URL here; Modelhub's own endpoints by their {@link Allow} annotations, which {@link
 * AccessInterceptor} enforces before any argument is read.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration implements WebMvcConfigurer {

  private final AccessProperties properties;

  SecurityConfiguration(AccessProperties properties) {
    this.properties = properties;
  }

  @Override
  public void addInterceptors(InterceptorRegistry registry) {
    registry.addInterceptor(new AccessInterceptor(properties));
  }

  @Override
  public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
    resolvers.add(new CallerArgumentResolver());
  }

  @Bean
  SecurityFilterChain filterChain(
      HttpSecurity http,
      KeyAuthenticator keys,
      JwtCallers jwtCallers,
      ObjectProvider<JwtDecoder> jwtDecoder,
      BearerEntryPoint entryPoint,
      RefusalFilter refusals,
      Environment environment)
      throws Exception {
    JwtDecoder jwts = jwtDecoder.getIfAvailable();
    if (jwts != null
        && environment
            .getProperty("spring.security.oauth2.resourceserver.jwt.audiences", "")
            .isBlank()) {
      // Without an audience check, any token the provider issued to any application would do.
      throw new IllegalStateException(
          "JWTs are enabled: set spring.security.oauth2.resourceserver.jwt.audiences to the"
              + " audience your identity provider puts in tokens meant for Modelhub.");
    }
    AuthenticationManager bearer = bearerAuthentication(keys, jwtCallers, jwts);
    http.csrf(AbstractHttpConfigurer::disable)
        .httpBasic(AbstractHttpConfigurer::disable)
        .formLogin(AbstractHttpConfigurer::disable)
        .logout(AbstractHttpConfigurer::disable)
        .requestCache(AbstractHttpConfigurer::disable)
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .cors(cors -> cors.configurationSource(cors()))
        .oauth2ResourceServer(
            oauth ->
                oauth
                    .authenticationManagerResolver(request -> bearer)
                    .authenticationEntryPoint(entryPoint)
                    .accessDeniedHandler(entryPoint))
        .exceptionHandling(
            e -> e.authenticationEntryPoint(entryPoint).accessDeniedHandler(entryPoint))
        .addFilterBefore(refusals, BearerTokenAuthenticationFilter.class)
        .authorizeHttpRequests(
            rules ->
                rules
                    .requestMatchers(
                        new AndRequestMatcher(
                            managementPort(environment),
                            EndpointRequest.to("health", "info", "prometheus")))
                    .permitAll()
                    .requestMatchers(EndpointRequest.to("health"))
                    .permitAll()
                    .requestMatchers(EndpointRequest.to("prometheus"))
                    .hasRole(Role.VIEWER.name())
                    .requestMatchers(EndpointRequest.toAnyEndpoint())
                    .hasRole(Role.ADMIN.name())
                    .requestMatchers(HttpMethod.OPTIONS, "/**")
                    .permitAll()
                    // Modelhub's endpoints: each handler's @Allow, enforced by AccessInterceptor.
                    .anyRequest()
                    .permitAll());
    return http.build();
  }

  /** API keys; JWTs (three dot-separated parts) too when a decoder is configured. */
  private static AuthenticationManager bearerAuthentication(
      KeyAuthenticator keys, JwtCallers jwtCallers, JwtDecoder jwtDecoder) {
    JwtAuthenticationProvider jwt = null;
    if (jwtDecoder != null) {
      jwt = new JwtAuthenticationProvider(jwtDecoder);
      jwt.setJwtAuthenticationConverter(jwtCallers);
    }
    JwtAuthenticationProvider jwts = jwt;
    return authentication -> {
      String token = ((BearerTokenAuthenticationToken) authentication).getToken();
      if (jwts != null && token.chars().filter(c -> c == '.').count() == 2) {
        return jwts.authenticate(authentication);
      }
      return keys.authenticate(authentication);
    };
  }

  /**
   * Requests that arrived on a separate {@code management.server.port}: that port is the
   * operator's, kept inside the cluster, so probes and scrapes (health, info, prometheus) need no
   * key there; any other endpoint exposed later (metrics, say) still needs an admin key.
   */
  private static RequestMatcher managementPort(Environment environment) {
    return (HttpServletRequest request) -> {
      Integer management = environment.getProperty("local.management.port", Integer.class);
      Integer server = environment.getProperty("local.server.port", Integer.class);
      return management != null
          && !management.equals(server)
          && request.getLocalPort() == management;
    };
  }

  private CorsConfigurationSource cors() {
    List<String> origins = properties.cors().allowedOrigins();
    UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
    if (origins.isEmpty()) {
      return source; // no configuration: cross-origin requests get no CORS headers
    }
    CorsConfiguration config = new CorsConfiguration();
    config.setAllowedOrigins(origins);
    config.setAllowedMethods(List.of("GET", "POST", "PUT", "PATCH", "DELETE"));
    config.setAllowedHeaders(List.of("Authorization", "Content-Type", "X-Request-Id", "Range"));
    config.setExposedHeaders(List.of("Location", "ETag", "Retry-After", "X-Request-Id"));
    config.setAllowCredentials(false);
    source.registerCorsConfiguration("/**", config);
    return source;
  }

  @Bean
  FilterRegistrationBean<RefusalFilter> refusalFilterRegistration(RefusalFilter filter) {
    // Runs inside the security chain only, not a second time as a plain servlet filter.
    FilterRegistrationBean<RefusalFilter> registration = new FilterRegistrationBean<>(filter);
    registration.setEnabled(false);
    return registration;
  }

  @Bean
  ProblemResponses problemResponses(ObjectMapper json) {
    return new ProblemResponses(json);
  }

  @Bean
  BearerEntryPoint bearerEntryPoint(ProblemResponses problems) {
    return new BearerEntryPoint(problems);
  }

  /** One failure budget per client address, whichever protocol its failures came over. */
  @Bean
  FailureBudget failureBudget() {
    return new FailureBudget(
        properties.failureBudget(), properties.failureRefill(), System::nanoTime);
  }

  @Bean
  RefusalFilter refusalFilter(FailureBudget budget, AuditLog audit, ProblemResponses problems) {
    return new RefusalFilter(budget, audit, problems);
  }

  @Bean
  ProtocolAccess protocolAccess(
      KeyAuthenticator keys,
      JwtCallers jwtCallers,
      ObjectProvider<JwtDecoder> jwtDecoder,
      FailureBudget budget,
      AuditLog audit) {
    return new ProtocolAccess(
        bearerAuthentication(keys, jwtCallers, jwtDecoder.getIfAvailable()),
        budget,
        audit,
        properties);
  }

  @Bean
  ApiKeyStore apiKeyStore(JdbcClient jdbc, ObjectMapper json) {
    return new ApiKeyStore(jdbc, json);
  }

  @Bean
  KeyMaterial keyMaterial() {
    return new KeyMaterial();
  }

  @Bean
  KeyAuthenticator keyAuthenticator(ApiKeyStore store, Clock clock) {
    return new KeyAuthenticator(store, properties, clock);
  }

  @Bean
  JwtCallers jwtCallers() {
    return new JwtCallers(properties);
  }

  @Bean
  AuditLog auditLog(JdbcClient jdbc, Clock clock) {
    return new AuditLog(new AuditStore(jdbc), clock);
  }

  @Bean
  KeyService keyService(
      ApiKeyStore store,
      KeyMaterial material,
      KeyAuthenticator authenticator,
      AuditLog audit,
      Clock clock) {
    return new KeyService(store, material, authenticator, audit, clock);
  }

  /** On API nodes: the key a first start generates is logged where people sign in. */
  @Bean
  @ConditionalOnRole(NodeRole.API)
  AdminKeyBootstrap adminKeyBootstrap(
      ApiKeyStore store, KeyMaterial material, TransactionTemplate transactions, Clock clock) {
    AdminKeyBootstrap bootstrap =
        new AdminKeyBootstrap(store, material, properties, transactions, clock);
    bootstrap.checkConfiguration();
    return bootstrap;
  }

  @EventListener(ApplicationReadyEvent.class)
  void bootstrapAdminKey(ApplicationReadyEvent event) {
    event
        .getApplicationContext()
        .getBeanProvider(AdminKeyBootstrap.class)
        .ifAvailable(AdminKeyBootstrap::run);
  }
}
