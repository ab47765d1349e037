package dev.modelhub.ops;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.SlotStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code serving} health component (in the readiness group): UP once the versions promoted when
 * the node started have loaded (or failed) and every model listed in {@code
 * modelhub.serving.critical-models} has a version answering; one other model that cannot load does
 * not take the node out of its Service. Details per model alias say which version serves and what
 * failed. Only on nodes with the serving role.
 */
@Component
@ConditionalOnRole(NodeRole.SERVING)
class ServingHealthIndicator extends AbstractHealthIndicator {

  private final InferenceService inference;

  ServingHealthIndicator(InferenceService inference) {
    super("Serving health check failed");
    this.inference = inference;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {

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
    // False while the versions promoted when the node started are still loading.
    builder.withDetail("started", inference.started());
    if (inference.ready()) {
      builder.up();
    } else {
      builder.down();
    }
  }
}
