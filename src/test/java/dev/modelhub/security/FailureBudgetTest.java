package dev.modelhub.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.security.internal.FailureBudget;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailureBudgetTest {

  private final AtomicLong now = new AtomicLong();
  private final FailureBudget budget = new FailureBudget(3, Duration.ofSeconds(10), now::get);

  @Test
  void an_address_is_slowed_down_once_its_failures_are_spent_and_recovers_with_time() {
    assertThat(budget.waitFor("10.0.0.1")).isZero();
    assertThat(budget.spend("10.0.0.1")).isFalse();
    assertThat(budget.spend("10.0.0.1")).isFalse();
    assertThat(budget.spend("10.0.0.1")).isTrue();
    assertThat(budget.waitFor("10.0.0.1")).isEqualTo(Duration.ofSeconds(10));
    assertThat(budget.waitFor("10.0.0.2")).as("other addresses are unaffected").isZero();

    now.addAndGet(Duration.ofSeconds(4).toNanos());
    assertThat(budget.waitFor("10.0.0.1")).isEqualTo(Duration.ofSeconds(6));
    now.addAndGet(Duration.ofSeconds(6).toNanos());
    assertThat(budget.waitFor("10.0.0.1")).isZero();
  }
}
