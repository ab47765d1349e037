package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.modelhub.serving.grpc.OipGrpcServer;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import inference.GRPCInferenceServiceGrpc;
import inference.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * The Open Inference Protocol over gRPC: the same models, answers, access rules and errors as over
 * HTTP, checked with the stubs generated from the official proto and with a Python client Modelhub
 * did not write.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcInferenceIT extends ServingTest {

  @Autowired OipGrpcServer grpc;

  private String model;
  private ManagedChannel channel;
  private String viewer;

  @BeforeEach
  void serveDigits() {
    if (model != null) {
      return;
    }
    model = uniqueName("grpc");
    promote(model, "production", register(model, Fixtures.bytes("digits_mlp.onnx"), "m.onnx"));
    awaitServing(model, "production", 1);
    viewer = createKey(uniqueName("grpc-viewer"), "viewer");
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
  }

  @AfterAll
  void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  private GRPCInferenceServiceBlockingStub stub(String key) {
    GRPCInferenceServiceBlockingStub stub =
        GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    if (key == null) {
      return stub;
    }
    Metadata metadata = new Metadata();
    metadata.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
  }

  @Test
  void model_infer_answers_what_http_answers_with_raw_and_typed_contents() {
    float[][] digits = {DigitsReference.inputs()[0], DigitsReference.inputs()[1]};
    List<Float> flat = new ArrayList<>();
    ByteBuffer raw = ByteBuffer.allocate(2 * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] digit : digits) {
      for (float v : digit) {
        flat.add(v);
        raw.putFloat(v);
      }
    }
    Response http =
        api.postJson(
            "/v2/models/" + model + "/infer", v2Body("input", "FP32", List.of(2, 64), flat));
    assertThat(http.status()).as(http.toString()).isEqualTo(200);
    JsonNode expected = http.json().get("outputs").get(0);

    ModelInferRequest.InferInputTensor.Builder input =
        ModelInferRequest.InferInputTensor.newBuilder()
            .setName("input")
            .setDatatype("FP32")
            .addShape(2)
            .addShape(64);
    ModelInferRequest rawRequest =
        ModelInferRequest.newBuilder()
            .setModelName(model)
            .setId("r-1")
            .addInputs(input)
            .addRawInputContents(ByteString.copyFrom(raw.array()))
            .build();
    ModelInferRequest typedRequest =
        ModelInferRequest.newBuilder()
            .setModelName(model)
            .setModelVersion("production")
            .addInputs(
                input
                    .clone()
                    .setContents(
                        inference.GrpcPredictV2.InferTensorContents.newBuilder()
                            .addAllFp32Contents(flat)))
            .build();
    for (ModelInferRequest request : List.of(rawRequest, typedRequest)) {
      ModelInferResponse answer = stub(viewer).modelInfer(request);
      assertThat(answer.getModelName()).isEqualTo(model);
      assertThat(answer.getModelVersion()).isEqualTo("1");
      assertThat(answer.getId()).isEqualTo(request.getId());
      assertThat(answer.getOutputs(0).getName()).isEqualTo("logits");
      assertThat(answer.getOutputs(0).getDatatype()).isEqualTo("FP32");
      assertThat(answer.getOutputs(0).getShapeList()).containsExactly(2L, 10L);
      ByteBuffer logits =
          answer.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      for (JsonNode value : expected.get("data")) {
        assertThat(logits.getFloat()).isEqualTo(value.floatValue());
      }
    }
    // Counted like HTTP requests, under the model's own name.
    assertThat(metric("modelhub_inference_requests_total", "model=\"" + model + "\"", "success"))
        .isGreaterThanOrEqualTo(3);
  }

  @Test
  void server_and_model_calls_and_the_health_service_answer() {
    assertThat(stub(null).serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(stub(null).serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    assertThat(stub(viewer).serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName())
        .isEqualTo("modelhub");
    for (String version : List.of("", "1", "production")) {
      assertThat(
              stub(viewer)
                  .modelReady(
                      ModelReadyRequest.newBuilder().setName(model).setVersion(version).build())
                  .getReady())
          .as(version)
          .isTrue();
    }
    ModelMetadataResponse metadata =
        stub(viewer).modelMetadata(ModelMetadataRequest.newBuilder().setName(model).build());
    assertThat(metadata.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(metadata.getVersionsList()).containsExactly("1");
    assertThat(metadata.getInputs(0).getName()).isEqualTo("input");
    assertThat(metadata.getInputs(0).getShapeList()).containsExactly(-1L, 64L);
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void access_rules_and_errors_are_those_of_http() {
    String other = createKey(uniqueName("grpc-other"), "viewer", "other-*");
    ModelInferRequest request = digitRequest(model);
    Map<String, Status.Code> expected =
        Map.of(
            "no key", Status.Code.UNAUTHENTICATED,
            "unknown key", Status.Code.UNAUTHENTICATED,
            "key for other models", Status.Code.PERMISSION_DENIED);
    Map<String, GRPCInferenceServiceBlockingStub> callers =
        Map.of(
            "no key", stub(null),
            "unknown key", stub("mh_" + "x".repeat(45)),
            "key for other models", stub(other));
    expected.forEach(
        (who, code) ->
            assertThatThrownBy(() -> callers.get(who).modelInfer(request))
                .as(who)
                .isInstanceOfSatisfying(
                    StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(code)));

    assertCode(
        stub(viewer), digitRequest(model + "-nope"), Status.Code.NOT_FOUND, "served on this node");
    assertCode(
        stub(viewer),
        digitRequest(model).toBuilder().setModelVersion("7").build(),
        Status.Code.NOT_FOUND,
        "version 7");
    assertCode(
        stub(viewer),
        digitRequest(model).toBuilder()
            .setRawInputContents(0, ByteString.copyFrom(new byte[12]))
            .build(),
        Status.Code.INVALID_ARGUMENT,
        "bytes of binary data");
    assertCode(
        stub(viewer),
        digitRequest(model).toBuilder()
            .setInputs(0, digitRequest(model).getInputs(0).toBuilder().setName("x"))
            .build(),
        Status.Code.INVALID_ARGUMENT,
        "Unknown input 'x'");
    assertCode(
        stub(viewer),
        digitRequest(model).toBuilder().addRawInputContents(ByteString.EMPTY).build(),
        Status.Code.INVALID_ARGUMENT,
        "raw_input_contents");
    assertCode(stub(viewer), digitRequest(""), Status.Code.INVALID_ARGUMENT, "names no model");
    ModelInferRequest shortContents =
        ModelInferRequest.newBuilder()
            .setModelName(model)
            .addInputs(
                digitRequest(model).getInputs(0).toBuilder()
                    .setContents(
                        inference.GrpcPredictV2.InferTensorContents.newBuilder()
                            .addAllFp32Contents(List.of(1f, 2f, 3f))))
            .build();
    assertCode(stub(viewer), shortContents, Status.Code.INVALID_ARGUMENT, "has 3 elements");
    // A refusal is in the audit trail, as over HTTP.
    JsonNode audit = api.get("/api/v1/audit?action=gRPC%20ModelInfer&size=5").json();
    assertThat(audit.get("items").toString()).contains("denied");
  }

  /**
   * Debian's python3-grpcio, with stubs grpc_tools generates here from the same official proto,
   * gets the answers the HTTP API gives.
   */
  @Test
  void a_python_client_from_the_official_proto_gets_the_http_answers(@TempDir Path temp)
      throws Exception {
    Path proto = Path.of("target/oip-proto/grpc_predict_v2.proto").toAbsolutePath();
    assertThat(proto).exists();
    run(
        temp,
        "/usr/bin/python3",
        "-m",
        "grpc_tools.protoc",
        "-I" + proto.getParent(),
        "--python_out=" + temp,
        "--grpc_python_out=" + temp,
        proto.toString());
    float[] digit = DigitsReference.inputs()[3];
    List<Float> data = new ArrayList<>();
    for (float v : digit) {
      data.add(v);
    }
    Path inputs = temp.resolve("inputs.json");
    Files.writeString(
        inputs,
        json.writeValueAsString(Map.of("name", "input", "shape", List.of(1, 64), "data", data)));
    String printed =
        run(
            temp,
            "/usr/bin/python3",
            Path.of("src/test/python/oip_grpc_client.py").toAbsolutePath().toString(),
            temp.toString(),
            "127.0.0.1:" + grpc.port(),
            viewer,
            model,
            inputs.toString());
    JsonNode answer = json.readTree(printed);
    JsonNode http =
        api.postJson(
                "/v2/models/" + model + "/infer", v2Body("input", "FP32", List.of(1, 64), data))
            .json()
            .get("outputs")
            .get(0);
    assertThat(answer.get("live").asBoolean()).isTrue();
    assertThat(answer.get("ready").asBoolean()).isTrue();
    assertThat(answer.get("model_ready").asBoolean()).isTrue();
    assertThat(answer.get("platform").asString()).isEqualTo("onnxruntime_onnx");
    assertThat(answer.get("raw").get("shape").toString()).isEqualTo("[1,10]");
    assertThat(answer.get("raw").get("id").asString()).isEqualTo("py-raw");
    for (int i = 0; i < 10; i++) {
      float expected = http.get("data").get(i).floatValue();
      assertThat(answer.get("raw").get("data").get(i).floatValue()).isEqualTo(expected);
      assertThat(answer.get("typed").get(i).floatValue()).isEqualTo(expected);
    }
    assertThat(answer.get("without_key").asString()).isEqualTo("UNAUTHENTICATED");
    assertThat(answer.get("unknown_model").asString()).isEqualTo("NOT_FOUND");
  }

  private static String run(Path dir, String... command) throws Exception {
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(false).start();
    byte[] out = process.getInputStream().readAllBytes();
    byte[] err = process.getErrorStream().readAllBytes();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue())
        .as(String.join(" ", command) + "\n" + new String(err) + new String(out))
        .isZero();
    return new String(out).trim();
  }

  private static void assertCode(
      GRPCInferenceServiceBlockingStub stub,
      ModelInferRequest request,
      Status.Code code,
      String says) {
    assertThatThrownBy(() -> stub.modelInfer(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(says);
            });
  }

  private static ModelInferRequest digitRequest(String model) {
    ByteBuffer raw = ByteBuffer.allocate(64 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : DigitsReference.inputs()[0]) {
      raw.putFloat(v);
    }
    return ModelInferRequest.newBuilder()
        .setModelName(model)
        .addInputs(
            ModelInferRequest.InferInputTensor.newBuilder()
                .setName("input")
                .setDatatype("FP32")
                .addShape(1)
                .addShape(64))
        .addRawInputContents(ByteString.copyFrom(raw.array()))
        .build();
  }
}
