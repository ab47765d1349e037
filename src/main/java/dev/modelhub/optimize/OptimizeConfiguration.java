package dev.modelhub.optimize;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.optimize.internal.JobRunner;
import dev.modelhub.optimize.internal.JobStore;
import dev.modelhub.optimize.internal.JobWorker;
import dev.modelhub.security.ModelScope;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Jobs are submitted through the API; the worker runs on nodes with the {@code worker} role. The
 * queue's depth is published on every node, so an autoscaler reads it even with no worker running.
 */
@Configuration(proxyBeanMethods = false)
class OptimizeConfiguration {

  static {
    // A pass's parameters and details take one of several shapes, told apart by the job's `pass`,
    // not by a member of their own: to a client they are objects whose members the pass names.
    org.springdoc.core.utils.SpringDocUtils.getConfig()
        .replaceWithSchema(
            PassParameters.class,
            new io.swagger.v3.oas.models.media.ObjectSchema()
                .description(
                    "The pass's parameters (see the README's Optimization jobs for each pass's)"))
        .replaceWithSchema(
            PassDetails.class,
            new io.swagger.v3.oas.models.media.ObjectSchema()
                .description("What the pass did, in its own terms"));
  }

  /** How many jobs wait for a worker, across the cluster. */
  @Bean
  MeterBinder jobQueueMetrics(JobStore jobs) {
    return meters ->
        Gauge.builder(
                "modelhub.jobs.queued",
                jobs,
                j -> j.count(null, JobStatus.QUEUED, null, ModelScope.ALL.regex()))
            .description("Jobs waiting for a worker")
            .register(meters);
  }

  @Bean
  @ConditionalOnRole(NodeRole.WORKER)
  JobWorker jobWorker(
      JobStore jobs, JobRunner runner, JobProperties properties, MeterRegistry meters) {
    JobWorker worker = new JobWorker(workerName(), jobs, runner, properties, meters);
    Gauge.builder("modelhub.jobs.running", worker, JobWorker::runningJobs)
        .description("Jobs running on this worker")
        .register(meters);
    return worker;
  }

  @Bean
  @ConditionalOnRole(NodeRole.WORKER)
  SmartLifecycle jobWorkerLifecycle(JobWorker worker) {
    return new SmartLifecycle() {
      private volatile boolean running;

      @Override
      public void start() {
        worker.start();
        running = true;
      }

      @Override
      public void stop() {
        worker.stop();
        running = false;
      }

      @Override
      public boolean isRunning() {
        return running;
      }
    };
  }

  /** host:pid:random, so two workers never share a name, even in one process. */
  private static String workerName() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown";
    }
    return host
        + ":"
        + ManagementFactory.getRuntimeMXBean().getPid()
        + ":"
        + UUID.randomUUID().toString().substring(0, 8);
  }
}
