package dev.modelhub.serving.internal;

import dev.modelhub.common.ClientMessages;
import dev.modelhub.registry.AliasTarget;
import dev.modelhub.registry.ServabilityCheck;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validation load a new version gets on a node with the serving role: fetched through the
 * artifact cache (so a promotion soon after finds it there), loaded by {@link ModelLoader#validate}
 * within {@code load-timeout}, and unloaded. One at a time per node: uploads wait their turn (up to
 * {@code load-timeout}; past it the version is left unchecked), so a burst of uploads cannot start
 * a burst of engine hosts. Counted in {@code modelhub_validations_total} by outcome ({@code
 * servable}, {@code unservable}, {@code unchecked}).
 */
public class ValidationLoads implements ServabilityCheck {

  private static final Logger log = LoggerFactory.getLogger(ValidationLoads.class);
  private static final int MAX_MESSAGE = 2000;

  private final ArtifactCache cache;
  private final ModelLoader loader;
  private final Duration timeout;
  private final MeterRegistry meters;
  private final Semaphore turn = new Semaphore(1, true);

  public ValidationLoads(
      ArtifactCache cache, ModelLoader loader, Duration timeout, MeterRegistry meters) {
    this.cache = cache;
    this.loader = loader;
    this.timeout = timeout;
    this.meters = meters;
  }

  @Override
  public Duration bound() {
    // its turn, the download and unpacking, the load: each within load-timeout
    return timeout.multipliedBy(3);
  }

  @Override
  public Optional<String> problem(AliasTarget version) {
    try {
      if (!turn.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        count("unchecked");
        throw new IllegalStateException("other validation loads kept this node busy");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      count("unchecked");
      throw new IllegalStateException("interrupted while waiting for a validation load");
    }
    try {
      return checked(version);
    } finally {
      turn.release();
    }
  }

  private Optional<String> checked(AliasTarget version) {
    Path dir;
    try {
      dir = cache.acquire(version.digest(), version.format(), version.sizeBytes());
    } catch (RuntimeException e) {
      count("unchecked");
      throw e;
    }
    try {
      loader.validate(version, dir, timeout);
      count("servable");
      return Optional.empty();
    } catch (ModelLoader.Unservable e) {
      count("unservable");
      String message = shown(e.getMessage());
      log.info("{} v{} is not servable: {}", version.model(), version.version(), message);
      return Optional.of(message);
    } catch (RuntimeException e) {
      count("unchecked");
      throw e;
    } catch (Exception e) {
      count("unchecked");
      throw new IllegalStateException("the validation load could not run: " + e.getMessage(), e);
    } finally {
      cache.release(version.digest());
    }
  }

  /** An engine's message as viewers see it: no server paths, no control characters, bounded. */
  static String shown(String message) {
    String text = ClientMessages.scrub(message == null ? "the engine refused it" : message);
    text = text.replaceAll("\\p{Cntrl}+", " ").strip();
    return text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE) + " …" : text;
  }

  private void count(String outcome) {
    Counter.builder("modelhub.validations")
        .description("Validation loads of new versions by outcome")
        .tag("outcome", outcome)
        .register(meters)
        .increment();
  }
}
