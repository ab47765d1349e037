package dev.modelhub.security;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Import;

/**
 * What a {@code @WebMvcTest} of dashboard pages needs from the security feature: its settings and
 * the dashboard's filter chain. The slice picks up {@link SecurityConfiguration} itself (it
 * configures MVC); tests mock the key store behind it.
 */
@TestConfiguration
@EnableConfigurationProperties(AccessProperties.class)
@Import(DashboardSecurityConfiguration.class)
public class DashboardSliceSecurity {}
