package dev.modelhub.serving.internal;

import dev.modelhub.registry.AliasTarget;
import dev.modelhub.registry.ServabilityCheck;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validation load a new version gets on a node with the serving role: fetched through the
 * artifact cache (so a promotion soon after finds it there), loaded by {@link ModelLoader#validate}
 * within {@code load-timeout}, and unloaded. Counted in {@code modelhub_validations_total} by
 * outcome ({@code servable}, {@code unservable}, {@code unchecked}).
 */
public class ValidationLoads implements ServabilityCheck {

  private static final Logger log = LoggerFactory.getLogger(ValidationLoads.class);

  private final ArtifactCache cache;
  private final ModelLoader loader;
  private final Duration timeout;
  private final MeterRegistry meters;

  public ValidationLoads(
      ArtifactCache cache, ModelLoader loader, Duration timeout, MeterRegistry meters) {
    this.cache = cache;
    this.loader = loader;
    this.timeout = timeout;
    this.meters = meters;
  }

  @Override
  public Optional<String> problem(AliasTarget version) {
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
      log.info("{} v{} is not servable: {}", version.model(), version.version(), e.getMessage());
      return Optional.of(e.getMessage());
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

  private void count(String outcome) {
    Counter.builder("modelhub.validations")
        .description("Validation loads of new versions by outcome")
        .tag("outcome", outcome)
        .register(meters)
        .increment();
  }
}
