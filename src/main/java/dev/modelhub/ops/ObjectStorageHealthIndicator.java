package dev.modelhub.ops;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.StorageProbe;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code objectStorage} health component: UP when the S3 endpoint answers and the bucket
 * exists; DOWN with the endpoint and the error otherwise, so an operator knows where to look.
 */
@Component
class ObjectStorageHealthIndicator extends AbstractHealthIndicator {

  private final ArtifactStore store;

  ObjectStorageHealthIndicator(ArtifactStore store) {
    super("Object storage health check failed");
    this.store = store;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    StorageProbe probe = store.probe();
    builder
        .withDetail("endpoint", probe.endpoint())
        .withDetail("bucket", probe.bucket())
        .withDetail("activeUploads", store.activeUploads());
    if (probe.up()) {
      builder.up();
    } else if (probe.error() == null) {
      builder.down().withDetail("error", "bucket '" + probe.bucket() + "' does not exist");
    } else {
      builder.down().withDetail("error", "cannot reach " + probe.endpoint() + ": " + probe.error());
    }
  }
}
