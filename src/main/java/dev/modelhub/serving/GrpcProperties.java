package dev.modelhub.serving;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The Open Inference Protocol over gRPC on serving nodes ({@code modelhub.serving.grpc.*}).
 *
 * @param port the port of the gRPC server ({@code GRPCInferenceService} and {@code
 *     grpc.health.v1.Health}); 0 picks a free one, -1 turns gRPC off
 * @param maxConcurrentCallsPerConnection calls one client connection may have running at once
 * @param maxInferCalls {@code ModelInfer} calls the node reads and runs at once, over all
 *     connections; more are answered {@code RESOURCE_EXHAUSTED} before their message is read (each
 *     may be up to {@code max-request-size})
 * @param shutdownGrace how long running calls may take to finish when the node stops
 */
@Validated
@ConfigurationProperties("modelhub.serving.grpc")
public record GrpcProperties(
    @DefaultValue("8081") @Min(-1) @Max(65535) int port,
    @DefaultValue("16") @Min(1) int maxConcurrentCallsPerConnection,
    @DefaultValue("64") @Min(1) int maxInferCalls,
    @DefaultValue("30s") @DurationMin(millis = 0) Duration shutdownGrace) {

  /** Whether the gRPC server runs. */
  public boolean enabled() {
    return port >= 0;
  }
}
