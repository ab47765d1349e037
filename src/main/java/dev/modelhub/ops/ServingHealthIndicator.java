package dev.modelhub.ops;

import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.SlotStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code serving} health component (in the readiness group): UP while the serving system runs
 * and every model listed in {@code modelhub.serving.critical-models} has a version answering; one
 * other model that cannot load does not take the node out of its Service. Details per model alias
 * say which version serves and what failed. On a node without the serving role it is UP and says
 * so, so the readiness group is the same everywhere.
 */
@Component
class ServingHealthIndicator extends AbstractHealthIndicator {

  private final ObjectProvider<InferenceService> serving;

  ServingHealthIndicator(ObjectProvider<InferenceService> serving) {
    super("Serving health check failed");
    this.serving = serving;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    InferenceService inference = serving.getIfAvailable();
    if (inference == null) {
      builder.up().withDetail("enabled", false);
      return;
    }
    List<SlotStatus> slots = inference.status();
    Map<String, Object> models = new LinkedHashMap<>();
    for (SlotStatus slot : slots) {
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("state", slot.state());
      detail.put("version", slot.version());
      detail.put("desiredVersion", slot.desiredVersion());
      if (slot.lastError() != null) {
        detail.put("lastError", slot.lastError());
      }
      models.put(slot.model() + "@" + slot.alias(), detail);
    }
    builder.withDetail("models", models);
    if (inference.ready()) {
      builder.up();
    } else {
      builder.down();
    }
  }
}
