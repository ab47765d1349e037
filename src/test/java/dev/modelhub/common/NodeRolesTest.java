package dev.modelhub.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@code modelhub.roles}: which beans a node starts, and the settings that stop it instead. */
class NodeRolesTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(RolesProperties.class)
  static class Beans {
    @Bean
    @ConditionalOnRole(NodeRole.API)
    String api() {
      return "api";
    }

    @Bean
    @ConditionalOnRole(NodeRole.SERVING)
    Integer serving() {
      return 1;
    }

    @Bean
    @ConditionalOnRole(value = NodeRole.SERVING, absent = true)
    Long notServing() {
      return 2L;
    }
  }

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner().withUserConfiguration(NodeConfiguration.class, Beans.class);

  @Test
  void every_role_by_default() {
    runner.run(
        context -> {
          assertThat(context).hasSingleBean(String.class).hasSingleBean(Integer.class);
          assertThat(context).doesNotHaveBean(Long.class);
          assertThat(context.getBean(NodeRoles.class)).hasToString("api,serving,worker");
        });
  }

  @Test
  void a_node_starts_only_its_roles_beans() {
    runner
        .withPropertyValues("modelhub.roles=serving")
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(String.class).hasSingleBean(Integer.class);
              assertThat(context).doesNotHaveBean(Long.class);
            });
    runner
        .withPropertyValues("modelhub.roles=API, Worker")
        .run(
            context -> {
              assertThat(context).hasSingleBean(String.class).doesNotHaveBean(Integer.class);
              assertThat(context).hasSingleBean(Long.class);
              assertThat(context.getBean(NodeRoles.class)).hasToString("api,worker");
            });
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "modelhub.roles=api,gpu               | modelhub.roles must list api, serving and/or worker",
        "modelhub.roles=                      | modelhub.roles is empty",
        "modelhub.serving.enabled=false       | modelhub.serving.enabled was replaced by modelhub.roles",
        "modelhub.jobs.enabled=true           | modelhub.jobs.enabled was replaced by modelhub.roles"
      })
  void a_wrong_or_retired_setting_stops_startup_naming_it(String setting, String message) {
    runner
        .withPropertyValues(setting)
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure()).hasStackTraceContaining(message);
            });
  }
}
