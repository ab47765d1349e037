package dev.modelhub.optimize;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.artifact.StorageProperties;
import dev.modelhub.format.ModelInspector;
import dev.modelhub.optimize.internal.DatasetReader;
import dev.modelhub.optimize.internal.DatasetStore;
import dev.modelhub.optimize.internal.JobRunner;
import dev.modelhub.optimize.internal.JobStore;
import dev.modelhub.optimize.internal.JobWorker;
import dev.modelhub.optimize.internal.Passes;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.ModelScope;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.validation.Validator;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Jobs are submitted on every node; the worker runs where {@code modelhub.jobs.enabled} is on. */
@Configuration(proxyBeanMethods = false)
class OptimizeConfiguration {

  @Bean
  JobStore jobStore(JdbcClient jdbc, ObjectMapper json, Passes passes) {
    return new JobStore(jdbc, json, passes);
  }

  @Bean
  DatasetStore datasetStore(JdbcClient jdbc, ObjectMapper json) {
    return new DatasetStore(jdbc, json);
  }

  @Bean
  DatasetReader datasetReader(SafeUnpacker unpacker, JobProperties properties) {
    return new DatasetReader(unpacker, properties);
  }

  @Bean
  Passes passes(JsonMapper json, Validator validator) {
    return new Passes(json, validator);
  }

  @Bean
  OptimizationService optimizationService(
      RegistryService registry,
      JobStore jobs,
      DatasetService datasets,
      Passes passes,
      JobProperties properties,
      AuditLog audit,
      MeterRegistry meters,
      ObjectProvider<JobWorker> worker) {
    Gauge.builder(
            "modelhub.jobs.queued",
            jobs,
            j -> j.count(null, JobStatus.QUEUED, ModelScope.ALL.regex()))
        .description("Jobs waiting for a worker")
        .register(meters);
    return new OptimizationService(registry, jobs, datasets, passes, properties, audit, worker);
  }

  @Bean
  DatasetService datasetService(
      RegistryService registry,
      ArtifactStore store,
      DatasetStore datasets,
      DatasetReader reader,
      JobProperties properties,
      AuditLog audit,
      TransactionTemplate transactions) {
    return new DatasetService(registry, store, datasets, reader, properties, audit, transactions);
  }

  @Bean
  JobRunner jobRunner(
      RegistryService registry,
      ArtifactStore store,
      SafeUnpacker unpacker,
      ModelInspector inspector,
      DatasetService datasets,
      DatasetReader reader,
      JobStore jobs,
      Passes passes,
      JobProperties properties,
      ObjectMapper json,
      StorageProperties storage) {
    return new JobRunner(
        registry,
        store,
        unpacker,
        inspector,
        datasets,
        reader,
        jobs,
        passes,
        properties,
        json,
        storage.spoolDir().toAbsolutePath().resolve("jobs"));
  }

  @Bean
  @ConditionalOnBooleanProperty(name = "modelhub.jobs.enabled", matchIfMissing = true)
  JobWorker jobWorker(
      JobStore jobs, JobRunner runner, JobProperties properties, MeterRegistry meters) {
    JobWorker worker = new JobWorker(workerName(), jobs, runner, properties, meters);
    Gauge.builder("modelhub.jobs.running", worker, JobWorker::runningJobs)
        .description("Jobs running on this worker")
        .register(meters);
    return worker;
  }

  @Bean
  @ConditionalOnBooleanProperty(name = "modelhub.jobs.enabled", matchIfMissing = true)
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
