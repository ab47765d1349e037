package dev.modelhub.common;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** This node's roles, as a bean for the parts that log or report them. */
@Configuration(proxyBeanMethods = false)
class NodeConfiguration {

  @Bean
  NodeRoles nodeRoles(Environment environment) {
    return NodeRoles.of(environment);
  }
}
