package dev.modelhub.serving;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.format.ModelInspector;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.serving.internal.ArtifactCache;
import dev.modelhub.serving.internal.EngineInfo;
import dev.modelhub.serving.internal.JobModels;
import dev.modelhub.serving.internal.ModelLoader;
import dev.modelhub.serving.internal.ServingMetrics;
import dev.modelhub.serving.internal.ValidationLoads;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Loading models into engines, on every node whatever its roles: the serving role keeps promoted
 * versions loaded with it, and uploads (API) and registered variants (worker) get a validation load
 * that tells whether the version can be served, in an engine host of its own.
 */
@Configuration(proxyBeanMethods = false)
class EngineConfiguration {

  @Bean
  ArtifactCache artifactCache(
      ArtifactStore store, SafeUnpacker unpacker, ServingProperties properties) {
    return new ArtifactCache(
        store, unpacker, properties.cache().dir(), properties.cache().maxSize());
  }

  @Bean
  EngineInfo engineInfo(ServingProperties properties) {
    return new EngineInfo(properties);
  }

  @Bean
  ModelLoader modelLoader(
      ServingProperties properties,
      ModelInspector inspector,
      ServingMetrics metrics,
      RegistryService registry,
      Clock clock) {
    return new ModelLoader(properties, inspector, metrics, registry::warmupSamples, clock);
  }

  /** New versions get a validation load on this node, isolated as serving loads them. */
  @Bean
  @ConditionalOnBooleanProperty(name = "modelhub.serving.validate-versions", matchIfMissing = true)
  ValidationLoads validationLoads(
      ArtifactCache cache, ModelLoader loader, ServingProperties properties, MeterRegistry meters) {
    return new ValidationLoads(cache, loader, properties.loadTimeout(), meters);
  }

  /** Models that jobs run (a distillation's teacher and student), each in a host of its own. */
  @Bean
  ModelRunner modelRunner(ArtifactCache cache, ModelLoader loader) {
    return new JobModels(cache, loader);
  }

  @Bean
  ServingMetrics servingMetrics(MeterRegistry meters) {
    return new ServingMetrics(meters);
  }
}
