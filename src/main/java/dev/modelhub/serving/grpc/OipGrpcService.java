package dev.modelhub.serving.grpc;

import dev.modelhub.format.Pipeline;
import dev.modelhub.security.Caller;
import dev.modelhub.security.ProtocolAccess;
import dev.modelhub.security.Role;
import dev.modelhub.serving.InferenceResult;
import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.ServedModel;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.VersionTarget;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ModelReadyResponse;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerLiveResponse;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerMetadataResponse;
import inference.GrpcPredictV2.ServerReadyRequest;
import inference.GrpcPredictV2.ServerReadyResponse;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The Open Inference Protocol's {@code GRPCInferenceService} over the models this node serves: the
 * same admission, deadlines, metrics and access rules as {@code /v2} over HTTP. Versions are
 * strings: a number, an alias ({@code production}), or empty for the default alias.
 */
final class OipGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

  private final InferenceService inference;
  private final ProtocolAccess access;
  private final long maxElements;
  private final String serverVersion;

  OipGrpcService(
      InferenceService inference,
      ProtocolAccess access,
      ServingProperties properties,
      String serverVersion) {
    this.inference = inference;
    this.access = access;
    this.maxElements = properties.maxTensorElements();
    this.serverVersion = serverVersion;
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> answer) {
    respond(answer, "ServerLive", () -> ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> answer) {
    respond(
        answer,
        "ServerReady",
        () -> ServerReadyResponse.newBuilder().setReady(inference.ready()).build());
  }

  @Override
  public void serverMetadata(
      ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> answer) {
    respond(
        answer,
        "ServerMetadata",
        () -> {
          authorize(null, "ServerMetadata");
          return ServerMetadataResponse.newBuilder()
              .setName("modelhub")
              .setVersion(serverVersion)
              .build();
        });
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> answer) {
    respond(
        answer,
        "ModelReady",
        () -> {
          authorize(request.getName(), "ModelReady");
          VersionTarget target = VersionTarget.of(request.getVersion());
          boolean ready = inference.ready(request.getName(), target.number(), target.alias());
          return ModelReadyResponse.newBuilder().setReady(ready).build();
        });
  }

  @Override
  public void modelMetadata(
      ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> answer) {
    respond(
        answer,
        "ModelMetadata",
        () -> {
          authorize(request.getName(), "ModelMetadata");
          VersionTarget target = VersionTarget.of(request.getVersion());
          ServedModel model =
              target.alias() == null
                  ? inference.describe(request.getName(), target.number())
                  : inference.describe(request.getName(), null, target.alias());
          return ModelMetadataResponse.newBuilder()
              .setName(model.model())
              .addAllVersions(
                  inference.servedVersions(model.model()).stream().map(String::valueOf).toList())
              .setPlatform(model.format().platform())
              .addAllInputs(GrpcTensors.metadata(model.signature().inputs()))
              .addAllOutputs(GrpcTensors.metadata(model.signature().outputs()))
              .build();
        });
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> answer) {
    respond(
        answer,
        "ModelInfer",
        () -> {
          authorize(request.getModelName(), "ModelInfer");
          VersionTarget target = VersionTarget.of(request.getModelVersion());
          try (InferenceService.Admission admitted =
              inference.admit(request.getModelName(), target.number(), target.alias())) {
            List<Tensor> inputs;
            try {
              inputs = GrpcTensors.inputs(request, maxElements);
            } catch (RuntimeException e) {
              admitted.refused();
              throw e;
            }
            List<String> outputs =
                request.getOutputsList().stream()
                    .map(ModelInferRequest.InferRequestedOutputTensor::getName)
                    .toList();
            Map<String, Integer> classification = new HashMap<>();
            for (var output : request.getOutputsList()) {
              var k = output.getParametersMap().get("classification");
              if (k != null) {
                long classes = k.hasInt64Param() ? k.getInt64Param() : -1;
                if (classes < 1 || classes > Pipeline.MAX_TOP_K) {
                  admitted.refused();
                  throw ServingExceptions.invalidInput(
                      "Output '"
                          + output.getName()
                          + "' asks classification "
                          + (k.hasInt64Param() ? Long.toString(classes) : "without an int64_param")
                          + "; it must be an int64_param from 1 to "
                          + Pipeline.MAX_TOP_K
                          + ".");
                }
                classification.put(output.getName(), (int) classes);
              }
            }
            InferenceResult result =
                admitted.classified(admitted.infer(inputs, outputs), classification);
            ModelInferResponse.Builder response =
                ModelInferResponse.newBuilder()
                    .setModelName(result.model())
                    .setModelVersion(Integer.toString(result.version()))
                    .setId(request.getId());
            GrpcTensors.outputs(result.outputs(), response);
            return response.build();
          }
        });
  }

  /** Checks the call's caller (set by {@link CallerInterceptor}) may read {@code model}. */
  private void authorize(String model, String method) {
    if (model != null && model.isEmpty()) {
      throw ServingExceptions.invalidInput("The request names no model; set its model name.");
    }
    Caller caller = CallerInterceptor.CALLER.get();
    access.authorize(caller, Role.VIEWER, model, "gRPC " + method);
  }

  private static <T> void respond(StreamObserver<T> answer, String method, Supplier<T> call) {
    T response;
    try {
      response = call.get();
    } catch (RuntimeException e) {
      answer.onError(GrpcStatuses.of(e, method));
      return;
    }
    answer.onNext(response);
    answer.onCompleted();
  }
}
