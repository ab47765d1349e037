package dev.modelhub.serving.http;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * The inference protocols' bodies as the OpenAPI document describes them. The handlers read and
 * write these bodies with Jackson's streaming API (tensor data straight into primitive arrays), so
 * the shapes are declared here, for the document and the clients generated from it ({@code
 * GeneratedClientIT} runs inference with nothing but such a client).
 */
final class ProtocolSchemas {

  private ProtocolSchemas() {}

  @Schema(
      name = "InferParameters",
      description = "Protocol parameters (strings, numbers, booleans)")
  record Parameters(
      @JsonProperty("binary_data_size")
          @Schema(
              description =
                  "Binary extension: the byte length of this input's elements, which follow the"
                      + " JSON part")
          Long binaryDataSize,
      @JsonProperty("binary_data")
          @Schema(description = "Binary extension: answer this output in binary form")
          Boolean binaryData,
      @JsonProperty("binary_data_output")
          @Schema(description = "Binary extension: answer every output in binary form")
          Boolean binaryDataOutput,
      @Schema(
              description =
                  "Triton's classification extension: answer this output as its k best classes,"
                      + " \"score:index:label\" strings")
          Integer classification) {}

  @Schema(name = "InferInputTensor", description = "One input tensor")
  record InferInput(
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "input") String name,
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "[1, 64]") List<Long> shape,
      @Schema(
              requiredMode = Schema.RequiredMode.REQUIRED,
              description =
                  "BOOL, UINT8…UINT64, INT8…INT64, FP16, BF16, FP32, FP64 or BYTES (encoded"
                      + " images for a version with a pipeline: base64 in JSON)",
              example = "FP32")
          String datatype,
      Parameters parameters,
      @Schema(
              description =
                  "The elements in row-major order, flat or nested (absent when they come in"
                      + " binary form)",
              example = "[0.0, 0.125, 0.75]")
          List<Object> data) {}

  @Schema(name = "InferRequestedOutput", description = "An output the client asks for")
  record RequestedOutput(
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "logits") String name,
      Parameters parameters) {}

  @Schema(name = "InferRequest", description = "An Open Inference Protocol v2 inference request")
  record InferRequest(
      @Schema(description = "Echoed in the answer") String id,
      Parameters parameters,
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<InferInput> inputs,
      @Schema(description = "The outputs wanted (all when absent)")
          List<RequestedOutput> outputs) {}

  @Schema(name = "InferOutputTensor", description = "One output tensor")
  record InferOutput(
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String name,
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Long> shape,
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String datatype,
      Parameters parameters,
      @Schema(description = "The elements, flat, row-major (absent when sent in binary form)")
          List<Object> data) {}

  @Schema(name = "InferResponse", description = "An Open Inference Protocol v2 inference answer")
  record InferResponse(
      @JsonProperty("model_name") @Schema(requiredMode = Schema.RequiredMode.REQUIRED)
          String modelName,
      @JsonProperty("model_version") @Schema(description = "The version that answered")
          String modelVersion,
      String id,
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<InferOutput> outputs) {}

  @Schema(name = "ServerMetadata")
  record ServerMetadata(String name, String version, List<String> extensions) {}

  @Schema(name = "Live")
  record Live(boolean live) {}

  @Schema(name = "Ready")
  record Ready(boolean ready) {}

  @Schema(name = "ModelReady")
  record ModelReady(String name, String version, boolean ready) {}

  @Schema(name = "TensorMetadata")
  record TensorMetadata(String name, String datatype, List<Long> shape) {}

  @Schema(name = "ModelMetadata", description = "A served version's signature")
  record ModelMetadata(
      String name,
      @Schema(description = "The versions of the model this node serves") List<String> versions,
      @Schema(example = "onnxruntime_onnx") String platform,
      List<TensorMetadata> inputs,
      List<TensorMetadata> outputs,
      @Schema(description = "Dynamic batching, when on") Map<String, Object> batching,
      @Schema(description = "The version's pipeline, when it has one")
          Map<String, Object> pipeline) {}

  @Schema(
      name = "TfPredictRequest",
      description =
          "TF Serving's predict request: row format (`instances`) or columnar format (`inputs`)")
  record TfPredictRequest(
      @JsonProperty("signature_name") @Schema(example = "serving_default") String signatureName,
      @Schema(description = "One element per row (an object of named inputs, or a value)")
          List<Object> instances,
      @Schema(description = "Named inputs, each with every row's values, or one value")
          Object inputs) {}

  @Schema(name = "TfPredictResponse")
  record TfPredictResponse(
      @Schema(description = "Row format answer") List<Object> predictions,
      @Schema(description = "Columnar answer") Object outputs) {}

  @Schema(name = "TfClassifyRequest", description = "TF Serving's classify request")
  record TfClassifyRequest(
      @JsonProperty("signature_name") String signatureName,
      @Schema(description = "Features every example shares") Map<String, Object> context,
      @Schema(
              requiredMode = Schema.RequiredMode.REQUIRED,
              description =
                  "Feature objects: an image as {\"b64\": \"…\"}, or a tabular row of numbers")
          List<Map<String, Object>> examples) {}

  @Schema(name = "TfClassifyResponse")
  record TfClassifyResponse(
      @Schema(description = "Per example, its classes best first, each [label, score]")
          List<List<List<Object>>> result) {}

  @Schema(name = "TfModelStatus")
  record TfModelStatus(
      @JsonProperty("model_version_status") List<Map<String, Object>> modelVersionStatus) {}

  @Schema(name = "TfModelMetadata", description = "The version's signature_def, as TF Serving's")
  record TfModelMetadata(
      @JsonProperty("model_spec") Map<String, Object> modelSpec, Map<String, Object> metadata) {}

  @Schema(name = "PredictJsonRequest", description = "Images or tabular rows (one of the two)")
  record PredictJsonRequest(
      @Schema(description = "Encoded images (PNG, JPEG, GIF) as base64 text") List<String> images,
      @Schema(description = "Tabular rows: objects of column values")
          List<Map<String, Object>> rows) {}

  @Schema(name = "PredictImages", description = "One or more images, each in a part named image")
  record PredictImages(
      @io.swagger.v3.oas.annotations.media.ArraySchema(
              schema = @Schema(type = "string", format = "binary"),
              arraySchema = @Schema(requiredMode = Schema.RequiredMode.REQUIRED))
          List<String> image) {}

  @Schema(name = "ScoredClass")
  record ScoredClass(int index, String label, double score) {}

  @Schema(name = "Prediction")
  record Prediction(
      @Schema(description = "The best class's label (its index when it has none)") String label,
      @Schema(description = "The best class's score") Double score,
      @Schema(description = "The classes kept, best first") List<ScoredClass> classes) {}

  @Schema(name = "PredictResponse")
  record PredictResponse(String model, int version, List<Prediction> predictions) {}
}
