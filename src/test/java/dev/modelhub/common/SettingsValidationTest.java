package dev.modelhub.common;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.artifact.ArchiveProperties;
import dev.modelhub.artifact.StorageProperties;
import dev.modelhub.format.FormatProperties;
import dev.modelhub.optimize.JobProperties;
import dev.modelhub.security.AccessProperties;
import dev.modelhub.serving.ServingProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/** A setting out of range stops startup with a message naming it, instead of misbehaving later. */
class SettingsValidationTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties({
    ServingProperties.class,
    JobProperties.class,
    ArchiveProperties.class,
    StorageProperties.class,
    AccessProperties.class,
    FormatProperties.class
  })
  static class Settings {}

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
          .withUserConfiguration(Settings.class);

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "modelhub.serving.predictors=0          | predictors",
        "modelhub.serving.load-threads=0        | loadThreads",
        "modelhub.serving.aliases=              | aliases",
        "modelhub.serving.load-retry-max=1s     | load-retry-max must be at least load-retry-min",
        "modelhub.serving.load-timeout=0s       | loadTimeout",
        "modelhub.jobs.concurrency=0            | concurrency",
        "modelhub.jobs.lease=0s                 | lease",
        "modelhub.jobs.max-attempts=0           | maxAttempts",
        "modelhub.archive.max-ratio=0           | maxRatio",
        "modelhub.storage.part-size=1MB         | part-size must be at least 5MB",
        "modelhub.storage.embedded.port=70000   | port",
        "modelhub.security.failure-budget=0     | failureBudget",
        "modelhub.formats.enabled=onnx,pickle   | every entry must be one of"
      })
  void a_setting_out_of_range_stops_startup_naming_it(String setting, String named) {
    runner
        .withPropertyValues(setting)
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure()).rootCause().hasMessageContaining(named);
            });
  }

  @Test
  void the_defaults_are_valid() {
    runner.run(context -> assertThat(context).hasNotFailed());
  }
}
