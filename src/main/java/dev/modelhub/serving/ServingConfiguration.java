package dev.modelhub.serving;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.registry.AliasMoved;
import dev.modelhub.registry.AliasRemoved;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.serving.internal.AliasNotificationListener;
import dev.modelhub.serving.internal.ArtifactCache;
import dev.modelhub.serving.internal.ModelLoader;
import dev.modelhub.serving.internal.ServingController;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * The serving role ({@code modelhub.serving.enabled}, on by default): the controller, its triggers
 * (same-node events, Postgres notifications from other nodes, a periodic reconcile) and the
 * inference service.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "modelhub.serving.enabled", matchIfMissing = true)
class ServingConfiguration {

  @Bean
  ArtifactCache artifactCache(
      ArtifactStore store, SafeUnpacker unpacker, ServingProperties properties) {
    return new ArtifactCache(
        store, unpacker, properties.cache().dir(), properties.cache().maxSize());
  }

  @Bean
  ModelLoader modelLoader(ServingProperties properties, Clock clock) {
    return new ModelLoader(properties, clock);
  }

  @Bean(destroyMethod = "close")
  ServingController servingController(
      RegistryService registry,
      ArtifactCache cache,
      ModelLoader loader,
      ServingProperties properties,
      Clock clock,
      MeterRegistry meters) {
    return new ServingController(registry, cache, loader, properties, clock, meters);
  }

  @Bean
  InferenceService inferenceService(
      ServingController controller, ServingProperties properties, MeterRegistry meters) {
    return new InferenceService(controller, properties, meters);
  }

  @Bean
  ServingLifecycle servingLifecycle(
      ServingController controller, ServingProperties properties, DataSource dataSource) {
    return new ServingLifecycle(
        controller,
        properties,
        properties.notifications() ? new AliasNotificationListener(dataSource, controller) : null);
  }

  @Bean
  AliasEvents aliasEvents(ServingController controller) {
    return new AliasEvents(controller);
  }

  /** Moves made on this node reach its controller as soon as they commit. */
  static final class AliasEvents {
    private final ServingController controller;

    AliasEvents(ServingController controller) {
      this.controller = controller;
    }

    @TransactionalEventListener(fallbackExecution = true)
    void on(AliasMoved moved) {
      controller.reconcile(moved.model());
    }

    @TransactionalEventListener(fallbackExecution = true)
    void on(AliasRemoved removed) {
      controller.reconcile(removed.model());
    }
  }

  /** Starts reconciling once the application is up, and stops listening on shutdown. */
  static final class ServingLifecycle implements SmartLifecycle {
    private final ServingController controller;
    private final ServingProperties properties;
    private final AliasNotificationListener listener;
    private volatile boolean running;

    ServingLifecycle(
        ServingController controller,
        ServingProperties properties,
        AliasNotificationListener listener) {
      this.controller = controller;
      this.properties = properties;
      this.listener = listener;
    }

    @Override
    public void start() {
      controller.reconcileAll();
      controller.reconcileEvery(properties.reconcileInterval());
      if (listener != null) {
        listener.start();
      }
      running = true;
    }

    @Override
    public void stop() {
      if (listener != null) {
        listener.stop();
      }
      running = false;
    }

    @Override
    public boolean isRunning() {
      return running;
    }
  }
}
