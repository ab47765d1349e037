package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.serving.grpc.OipGrpcServer;
import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestSecrets;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;

/**
 * Serving under faults, on a node of its own that serves the alias {@code faults} with short
 * deadlines: a load that hangs is abandoned while another model loads, an engine call that overruns
 * answers 504 and its predictor is replaced, a critical model that cannot load takes the node out
 * of readiness (any other does not), and a newly promoted version starts its own retry backoff.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServingFaultsIT extends ServingTest {

  private static final String ALIAS = "faults";

  @Autowired Environment environment;
  private ConfigurableApplicationContext node;
  private Api faults;
  private String critical;

  @BeforeAll
  void startFaultNode() {
    critical = uniqueName("critical");
    node =
        startNode(
            environment,
            Map.of(
                "modelhub.serving.aliases",
                ALIAS,
                "modelhub.serving.load-timeout",
                "3s",
                "modelhub.serving.inference-timeout",
                "1s",
                "modelhub.serving.predictors",
                "1",
                "modelhub.serving.load-retry-min",
                "500ms",
                "modelhub.serving.load-retry-max",
                "30s",
                "modelhub.serving.critical-models",
                critical,
                "modelhub.serving.grpc.max-infer-calls",
                "1",
                "modelhub.roles",
                "api,serving"));
    faults = new Api(port(node), json);
  }

  @AfterAll
  void stopFaultNode() {
    node.close();
  }

  @Test
  void a_hanging_load_is_abandoned_at_its_deadline_while_another_model_loads() {
    // Warm-up of this model runs a 10-million-turn loop: about 5 s of engine time, past the
    // 3 s load-timeout (the node waits for it when it closes).
    String hanging = uniqueName("hanging");
    promote(hanging, ALIAS, register(hanging, OnnxModels.loop(10_000_000).toByteArray(), "h.onnx"));
    String quick = uniqueName("quick");
    promote(quick, ALIAS, register(quick, Fixtures.bytes("digits_mlp.onnx"), "q.onnx"));

    // The quick model does not wait behind the hanging one past its deadline. (Its own load may
    // take more than one 3 s attempt while the hanging loop still holds one of two cores.)
    awaitServing(faults, quick, ALIAS, 1, Duration.ofSeconds(20));
    assertThat(servedVersion(faults, hanging, ALIAS)).isEqualTo(-1);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                slot(faults, hanging, ALIAS)
                    .map(s -> s.get("state").asString().equals("FAILED"))
                    .orElse(false));
    assertThat(slot(faults, hanging, ALIAS).orElseThrow().get("lastError").asString())
        .contains("load-timeout");
    assertThat(faults.get("/v2/health/ready").status()).isEqualTo(200);
    assertThat(inferDigit(faults, quick).status()).isEqualTo(200);
    api.delete("/api/v1/models/" + hanging + "/aliases/" + ALIAS);
  }

  @Test
  void an_engine_call_past_its_deadline_answers_504_and_the_next_request_is_served() {
    String looping = uniqueName("looping");
    promote(looping, ALIAS, register(looping, OnnxModels.loop(-1).toByteArray(), "l.onnx"));
    awaitServing(faults, looping, ALIAS, 1, LOAD_TIMEOUT);

    // Eight million turns: about four seconds, past the one-second deadline.
    Response slow = faults.postJson("/v2/models/" + looping + "/infer", body(8_000_000));
    assertThat(slow.status()).as(slow.toString()).isEqualTo(504);
    assertThat(slow.json().get("type").asString()).endsWith("/inference-timeout");
    // The only predictor is still busy with that call: a fresh one serves the next request.
    Response next = faults.postJson("/v2/models/" + looping + "/infer", body(0));
    assertThat(next.status()).as(next.toString()).isEqualTo(200);
    assertThat(next.json().get("outputs").get(0).get("data").get(0).asDouble()).isEqualTo(1.0);
    api.delete("/api/v1/models/" + looping + "/aliases/" + ALIAS);
  }

  /**
   * gRPC reads at most max-infer-calls ModelInfer messages at once: with one call in the engine,
   * the next is refused RESOURCE_EXHAUSTED, naming the setting; once it ends, calls run again.
   */
  @Test
  void grpc_calls_past_max_infer_calls_are_refused_before_they_are_read() throws Exception {
    String looping = uniqueName("grpc-looping");
    promote(looping, ALIAS, register(looping, OnnxModels.loop(-1).toByteArray(), "l.onnx"));
    awaitServing(faults, looping, ALIAS, 1, LOAD_TIMEOUT);
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", node.getBean(OipGrpcServer.class).port())
            .usePlaintext()
            .build();
    try {
      Metadata key = new Metadata();
      key.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + TestSecrets.adminKey());
      GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub =
          GRPCInferenceServiceGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key));
      CompletableFuture<Status.Code> slow =
          CompletableFuture.supplyAsync(
              () -> code(() -> stub.modelInfer(loop(looping, 8_000_000))));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  faults
                      .get("/actuator/prometheus")
                      .text()
                      .lines()
                      .anyMatch(
                          l ->
                              l.startsWith("modelhub_inference_admitted{")
                                  && l.contains(looping)
                                  && l.endsWith(" 1.0")));
      StatusRuntimeException refused =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              StatusRuntimeException.class, () -> stub.modelInfer(loop(looping, 0)));
      assertThat(refused).isNotNull();
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getStatus().getDescription()).contains("max-infer-calls");
      assertThat(slow.get(30, TimeUnit.SECONDS)).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(stub.modelInfer(loop(looping, 0)).getRawOutputContentsCount()).isEqualTo(1);
    } finally {
      channel.shutdownNow();
      api.delete("/api/v1/models/" + looping + "/aliases/" + ALIAS);
    }
  }

  private static Status.Code code(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private static ModelInferRequest loop(String model, long turns) {
    return ModelInferRequest.newBuilder()
        .setModelName(model)
        .addInputs(
            ModelInferRequest.InferInputTensor.newBuilder()
                .setName("x")
                .setDatatype("FP32")
                .addShape(1)
                .setContents(InferTensorContents.newBuilder().addFp32Contents(1f)))
        .addInputs(
            ModelInferRequest.InferInputTensor.newBuilder()
                .setName("n")
                .setDatatype("INT64")
                .setContents(InferTensorContents.newBuilder().addInt64Contents(turns)))
        .build();
  }

  @Test
  void only_a_critical_model_that_cannot_load_makes_the_node_unready() {
    String healthy = uniqueName("healthy");
    promote(healthy, ALIAS, register(healthy, Fixtures.bytes("digits_mlp.onnx"), "h.onnx"));
    awaitServing(faults, healthy, ALIAS, 1, LOAD_TIMEOUT);
    String other = uniqueName("broken");
    forcePromote(other, ALIAS, register(other, OnnxModels.corruptedDigits(), "b.onnx"));
    await().atMost(LOAD_TIMEOUT).until(() -> failedAttempts(other) > 0);
    assertThat(faults.get("/v2/health/ready").status()).isEqualTo(200);
    assertThat(faults.get("/v2/models/" + other + "/ready").status()).isEqualTo(503);
    // The models that load keep answering beside the one that never does.
    assertThat(faults.get("/v2/models/" + healthy + "/ready").status()).isEqualTo(200);
    assertThat(inferDigit(faults, healthy).status()).isEqualTo(200);

    forcePromote(critical, ALIAS, register(critical, OnnxModels.corruptedDigits(), "c.onnx"));
    await().atMost(LOAD_TIMEOUT).until(() -> failedAttempts(critical) > 0);
    assertThat(faults.get("/v2/health/ready").status()).isEqualTo(503);
    JsonNode readiness = faults.anonymous().get("/actuator/health/readiness").json();
    assertThat(readiness.get("status").asString()).isEqualTo("DOWN");

    api.delete("/api/v1/models/" + critical + "/aliases/" + ALIAS);
    api.delete("/api/v1/models/" + other + "/aliases/" + ALIAS);
    api.delete("/api/v1/models/" + healthy + "/aliases/" + ALIAS);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> faults.get("/v2/health/ready").status() == 200);
  }

  @Test
  void a_newly_promoted_version_starts_its_own_retry_backoff() {
    String model = uniqueName("backoff");
    int v1 = register(model, OnnxModels.corruptedDigits(), "v1.onnx");
    forcePromote(model, ALIAS, v1);
    await().atMost(LOAD_TIMEOUT).until(() -> failedAttempts(model) >= 3);

    int v2 = register(model, OnnxModels.corruptedDigits(), "v2.onnx");
    assertThat(v2).isEqualTo(2);
    forcePromote(model, ALIAS, v2);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                slot(faults, model, ALIAS)
                    .map(
                        s ->
                            s.get("desiredVersion").asInt() == v2
                                // FAILED: the slot's failure is v2's own, not v1's count
                                && s.get("state").asString().equals("FAILED"))
                    .orElse(false));
    assertThat(slot(faults, model, ALIAS).orElseThrow().get("failedAttempts").asInt()).isEqualTo(1);
    api.delete("/api/v1/models/" + model + "/aliases/" + ALIAS);
  }

  private int failedAttempts(String model) {
    return slot(faults, model, ALIAS).map(s -> s.get("failedAttempts").asInt()).orElse(0);
  }

  private static Map<String, Object> body(long turns) {
    return Map.of(
        "inputs",
        List.of(
            Map.of("name", "x", "datatype", "FP32", "shape", List.of(1), "data", List.of(1.0)),
            Map.of("name", "n", "datatype", "INT64", "shape", List.of(), "data", List.of(turns))));
  }
}
