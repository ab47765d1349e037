package dev.modelhub.common;

import java.time.Duration;

/**
 * Exponential backoff: {@code first} after the first failure, doubling with each further one, never
 * more than {@code max}. Used by model loads, job retries and the alias listener's reconnects.
 *
 * @param first the wait after one failure
 * @param max the longest wait
 */
public record Backoff(Duration first, Duration max) {

  public Backoff {
    if (first.isNegative() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 ≤ first ≤ max, not " + first + ", " + max);
    }
  }

  /** The wait after {@code failures} failures in a row (1 or more). */
  public Duration after(int failures) {
    int doublings = Math.min(30, Math.max(0, failures - 1));
    long millis = first.toMillis();
    long wait = millis > (Long.MAX_VALUE >> doublings) ? Long.MAX_VALUE : millis << doublings;
    return Duration.ofMillis(Math.min(max.toMillis(), wait));
  }
}
