package dev.modelhub.serving;

import dev.modelhub.common.Backoff;
import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.format.PipelineProperties;
import dev.modelhub.registry.AliasMoved;
import dev.modelhub.registry.AliasRemoved;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.serving.internal.AliasNotificationListener;
import dev.modelhub.serving.internal.ArtifactCache;
import dev.modelhub.serving.internal.EngineCrashes;
import dev.modelhub.serving.internal.MemoryBudget;
import dev.modelhub.serving.internal.ModelLoader;
import dev.modelhub.serving.internal.ModelLoads;
import dev.modelhub.serving.internal.ServedSlots;
import dev.modelhub.serving.internal.ServingMetrics;
import dev.modelhub.serving.internal.ServingReconciler;
import dev.modelhub.serving.internal.VersionPool;
import java.time.Clock;
import javax.sql.DataSource;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * The serving role ({@code serving} in {@code modelhub.roles}): the reconciler, its triggers
 * (same-node events, Postgres notifications from other nodes, a periodic reconcile) and the
 * inference service. The engines they load with are {@link EngineConfiguration}'s, on every node.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnRole(NodeRole.SERVING)
class ServingConfiguration {

  /**
   * What an engine host's process holds besides its heap and its model: the JVM and the engine's
   * own libraries (about 100 MB measured for ONNX Runtime).
   */
  private static final long HOST_NATIVE_BASELINE = 128L << 20;

  @Bean
  ServedSlots servedSlots() {
    return new ServedSlots();
  }

  @Bean
  VersionPool versionPool(
      ArtifactCache cache,
      ServingProperties properties,
      ServedSlots slots,
      ServingMetrics metrics) {
    VersionPool pool = new VersionPool(cache, properties.drainTimeout());
    metrics.watch(slots, pool);
    return pool;
  }

  @Bean(destroyMethod = "close")
  ServingReconciler servingReconciler(
      RegistryService registry,
      ArtifactCache cache,
      ModelLoader loader,
      ServedSlots slots,
      VersionPool pool,
      ServingMetrics metrics,
      ServingProperties properties,
      Clock clock) {
    ModelLoads loads =
        new ModelLoads(
            cache,
            loader,
            metrics,
            properties.loadTimeout(),
            properties.loadThreads(),
            new MemoryBudget(properties.memoryBudgetBytes()),
            properties.isolation() == ServingProperties.Isolation.MODEL
                ? properties.host().heap().toBytes() + HOST_NATIVE_BASELINE
                : 0);
    loader.onCrash(new EngineCrashes(slots, metrics, registry, properties.host(), clock));
    return new ServingReconciler(
        registry,
        properties.aliases(),
        slots,
        pool,
        loads,
        new Backoff(properties.loadRetryMin(), properties.loadRetryMax()),
        clock);
  }

  @Bean
  InferenceService inferenceService(
      ServedSlots slots,
      VersionPool pool,
      ServingProperties properties,
      ServingMetrics metrics,
      ServingReconciler reconciler,
      PipelineProperties pipelines) {
    return new InferenceService(
        slots, pool, properties, pipelines, metrics, reconciler::initialLoadsDone);
  }

  @Bean
  ServingLifecycle servingLifecycle(
      ServingReconciler reconciler, ServingProperties properties, DataSource dataSource) {
    return new ServingLifecycle(
        reconciler,
        properties,
        properties.notifications() ? new AliasNotificationListener(dataSource, reconciler) : null);
  }

  @Bean
  AliasEvents aliasEvents(ServingReconciler reconciler) {
    return new AliasEvents(reconciler);
  }

  /** Moves made on this node reach its reconciler as soon as they commit. */
  static final class AliasEvents {
    private final ServingReconciler reconciler;

    AliasEvents(ServingReconciler reconciler) {
      this.reconciler = reconciler;
    }

    @TransactionalEventListener(fallbackExecution = true)
    void on(AliasMoved moved) {
      reconciler.reconcile(moved.model());
    }

    @TransactionalEventListener(fallbackExecution = true)
    void on(AliasRemoved removed) {
      reconciler.reconcile(removed.model());
    }
  }

  /** Starts reconciling once the application is up, and stops listening on shutdown. */
  static final class ServingLifecycle implements SmartLifecycle {
    private final ServingReconciler reconciler;
    private final ServingProperties properties;
    private final AliasNotificationListener listener;
    private volatile boolean running;

    ServingLifecycle(
        ServingReconciler reconciler,
        ServingProperties properties,
        AliasNotificationListener listener) {
      this.reconciler = reconciler;
      this.properties = properties;
      this.listener = listener;
    }

    @Override
    public void start() {
      reconciler.loadInitial();
      reconciler.reconcileEvery(properties.reconcileInterval());
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
