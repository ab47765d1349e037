package dev.modelhub.common;

import java.time.Clock;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One {@link Clock} for the application, so that time-dependent code can be driven in tests. It
 * ticks in microseconds, PostgreSQL's timestamp precision, so a time read back equals the time
 * written.
 */
@Configuration(proxyBeanMethods = false)
class TimeConfiguration {

  @Bean
  Clock clock() {
    return Clock.tick(Clock.systemUTC(), Duration.ofNanos(1_000));
  }
}
