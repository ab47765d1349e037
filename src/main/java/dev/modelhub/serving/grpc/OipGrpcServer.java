package dev.modelhub.serving.grpc;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.security.ProtocolAccess;
import dev.modelhub.serving.GrpcProperties;
import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.ServingProperties;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The gRPC server of a serving node ({@code modelhub.serving.grpc.port}, 8081): the Open Inference
 * Protocol's {@code GRPCInferenceService} and the standard {@code grpc.health.v1.Health} service
 * for Kubernetes' gRPC probes (SERVING when the node is ready, as {@code /v2/health/ready}). It
 * stops with the web server: running calls get {@code shutdown-grace} to finish.
 */
@Component
@ConditionalOnRole(NodeRole.SERVING)
public class OipGrpcServer implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(OipGrpcServer.class);

  private final GrpcProperties properties;
  private final OipGrpcService service;
  private final CallerInterceptor callers;
  private final InferenceService inference;
  private final long maxMessageSize;
  private volatile Server server;
  private ExecutorService executor;

  OipGrpcServer(
      GrpcProperties properties,
      ServingProperties serving,
      InferenceService inference,
      ProtocolAccess access,
      ObjectProvider<BuildProperties> build) {
    this.properties = properties;
    this.inference = inference;
    BuildProperties buildProperties = build.getIfAvailable();
    this.service =
        new OipGrpcService(
            inference,
            access,
            serving,
            buildProperties == null ? "dev" : buildProperties.getVersion());
    this.callers = new CallerInterceptor(access, properties.maxInferCalls());
    this.maxMessageSize = Math.min(Integer.MAX_VALUE, serving.maxRequestSize().toBytes());
  }

  @Override
  public void start() {
    if (!properties.enabled()) {
      log.info("gRPC is off (modelhub.serving.grpc.port=-1)");
      return;
    }
    AtomicInteger threads = new AtomicInteger();
    ThreadFactory named =
        runnable -> {
          Thread thread = new Thread(runnable, "grpc-call-" + threads.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        };
    executor = Executors.newCachedThreadPool(named);
    try {
      server =
          NettyServerBuilder.forPort(properties.port())
              .executor(executor)
              .maxInboundMessageSize((int) maxMessageSize)
              .maxInboundMetadataSize(16 * 1024)
              .maxConcurrentCallsPerConnection(properties.maxConcurrentCallsPerConnection())
              .addService(ServerInterceptors.intercept(service, callers))
              .addService(new Health(inference))
              .build()
              .start();
    } catch (IOException e) {
      executor.shutdownNow();
      throw new UncheckedIOException(
          "gRPC cannot listen on port "
              + properties.port()
              + " (modelhub.serving.grpc.port; -1 turns gRPC off): "
              + e.getMessage(),
          e);
    }
    log.info("Open Inference Protocol over gRPC on port {}", server.getPort());
  }

  @Override
  public void stop() {
    Server running = server;
    if (running == null) {
      return;
    }
    running.shutdown();
    try {
      if (!running.awaitTermination(properties.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
        running.shutdownNow();
      }
    } catch (InterruptedException e) {
      running.shutdownNow();
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    server = null;
  }

  @Override
  public boolean isRunning() {
    return server != null;
  }

  /** Stops with the web server's graceful shutdown, before the serving controller closes models. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 1024;
  }

  /** The port the server listens on, or -1 when it does not run. */
  public int port() {
    Server running = server;
    return running == null ? -1 : running.getPort();
  }

  /** {@code grpc.health.v1.Health}: SERVING when the node is ready for traffic. */
  private static final class Health extends HealthGrpc.HealthImplBase {
    private final InferenceService inference;

    Health(InferenceService inference) {
      this.inference = inference;
    }

    @Override
    public void check(
        HealthCheckRequest request, StreamObserver<HealthCheckResponse> responseObserver) {
      String name = request.getService();
      if (!name.isEmpty() && !name.equals("inference.GRPCInferenceService")) {
        responseObserver.onError(
            Status.NOT_FOUND
                .withDescription("No service '" + name + "' here.")
                .asRuntimeException());
        return;
      }
      responseObserver.onNext(
          HealthCheckResponse.newBuilder()
              .setStatus(inference.ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING)
              .build());
      responseObserver.onCompleted();
    }
  }
}
