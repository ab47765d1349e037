package dev.modelhub.serving;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.format.ModelInspector;
import dev.modelhub.registry.AliasMoved;
import dev.modelhub.registry.AliasRemoved;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.serving.internal.AliasNotificationListener;
import dev.modelhub.serving.internal.ArtifactCache;
import dev.modelhub.serving.internal.EngineInfo;
import dev.modelhub.serving.internal.ModelLoader;
import dev.modelhub.serving.internal.ServingController;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
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
  EngineInfo engineInfo() {
    return new EngineInfo();
  }

  @Bean
  ModelLoader modelLoader(ServingProperties properties, ModelInspector inspector, Clock clock) {
    // Engine calls run on threads of their own so that a request can give up on one that hangs.
    AtomicInteger n = new AtomicInteger();
    ExecutorService engineThreads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "modelhub-engine-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    return new ModelLoader(properties, inspector, engineThreads, clock);
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
