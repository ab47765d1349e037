package dev.modelhub.ops;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.optimize.OptimizationService;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code jobWorkers} health component, on nodes with the worker role: the queue's depth and
 * this node's worker: jobs running and whether its polls reach the database.
 */
@Component
@ConditionalOnRole(NodeRole.WORKER)
class JobWorkersHealthIndicator extends AbstractHealthIndicator {

  private final OptimizationService optimizations;

  JobWorkersHealthIndicator(OptimizationService optimizations) {
    super("Job worker health check failed");
    this.optimizations = optimizations;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    var worker = optimizations.workerStatus();
    builder.withDetail("queued", optimizations.queued());
    builder.withDetail("workerEnabled", worker != null);
    if (worker == null) {
      builder.up();
      return;
    }
    builder.withDetail("worker", worker.id()).withDetail("running", worker.running());
    if (worker.pollFailures() >= 3) {
      builder.down().withDetail("error", worker.pollFailures() + " polls in a row failed");
    } else {
      builder.up();
    }
  }
}
