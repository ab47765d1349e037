package dev.modelhub.serving.http;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.HeaderParameter;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The bodies of the inference operations, which read and write the request themselves (streamed,
 * not bound by Spring), declared once per protocol for all of its variants (by version, by alias or
 * label) instead of on every handler.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnRole(NodeRole.SERVING)
class ProtocolDocumentation {

  private record Bodies(
      String description, Map<String, Schema<?>> request, Map<String, Schema<?>> answer) {}

  @Bean
  OpenApiCustomizer protocolBodies() {
    return openApi -> {
      Components components = openApi.getComponents();
      for (Class<?> type :
          List.of(
              ProtocolSchemas.InferRequest.class,
              ProtocolSchemas.InferResponse.class,
              ProtocolSchemas.TfPredictRequest.class,
              ProtocolSchemas.TfPredictResponse.class,
              ProtocolSchemas.TfClassifyRequest.class,
              ProtocolSchemas.TfClassifyResponse.class,
              ProtocolSchemas.PredictImages.class,
              ProtocolSchemas.PredictJsonRequest.class,
              ProtocolSchemas.PredictResponse.class,
              ProtocolSchemas.Live.class,
              ProtocolSchemas.Ready.class,
              ProtocolSchemas.ModelReady.class,
              ProtocolSchemas.ServerMetadata.class,
              ProtocolSchemas.ModelMetadata.class,
              ProtocolSchemas.TfModelStatus.class,
              ProtocolSchemas.TfModelMetadata.class)) {
        ModelConverters.getInstance(true).readAll(type).forEach(components::addSchemas);
      }
      Bodies infer =
          new Bodies(
              "JSON, or the binary extension: the JSON part (its length in"
                  + " Inference-Header-Content-Length) followed by the inputs' raw little-endian"
                  + " elements (BYTES: each prefixed by its 4-byte length); the answer likewise",
              Map.of("application/json", ref("InferRequest"), "application/octet-stream", binary()),
              Map.of(
                  "application/json", ref("InferResponse"), "application/octet-stream", binary()));
      Bodies predict =
          new Bodies(
              "Row (`instances`) or columnar (`inputs`) format",
              Map.of("application/json", ref("TfPredictRequest")),
              Map.of("application/json", ref("TfPredictResponse")));
      Bodies classify =
          new Bodies(
              "Examples (and context features they share)",
              Map.of("application/json", ref("TfClassifyRequest")),
              Map.of("application/json", ref("TfClassifyResponse")));
      Bodies pipeline =
          new Bodies(
              "Images as multipart parts named image, or JSON images (base64) or rows",
              Map.of(
                  "multipart/form-data",
                  ref("PredictImages"),
                  "application/json",
                  ref("PredictJsonRequest")),
              Map.of("application/json", ref("PredictResponse")));
      Map<String, Bodies> byOperation =
          Map.ofEntries(
              Map.entry("modelInfer", infer),
              Map.entry("modelVersionInfer", infer),
              Map.entry("tfPredict", predict),
              Map.entry("tfPredictVersion", predict),
              Map.entry("tfPredictLabel", predict),
              Map.entry("tfClassify", classify),
              Map.entry("tfClassifyVersion", classify),
              Map.entry("tfClassifyLabel", classify),
              Map.entry("predict", pipeline),
              Map.entry("serverLive", answer("Live")),
              Map.entry("serverReady", answer("Ready")),
              Map.entry("serverMetadata", answer("ServerMetadata")),
              Map.entry("modelMetadata", answer("ModelMetadata")),
              Map.entry("modelVersionMetadata", answer("ModelMetadata")),
              Map.entry("modelReady", answer("ModelReady")),
              Map.entry("modelVersionReady", answer("ModelReady")),
              Map.entry("tfModelStatus", answer("TfModelStatus")),
              Map.entry("tfModelMetadata", answer("TfModelMetadata")),
              Map.entry("tfModelVersionMetadata", answer("TfModelMetadata")));
      openApi
          .getPaths()
          .values()
          .forEach(
              item ->
                  item.readOperations().stream()
                      .filter(o -> byOperation.containsKey(o.getOperationId()))
                      .forEach(o -> describe(o, byOperation.get(o.getOperationId()))));
    };
  }

  /** A body-less operation's JSON answer. */
  private static Bodies answer(String schema) {
    return new Bodies(null, Map.of(), Map.of("application/json", ref(schema)));
  }

  private static void describe(Operation operation, Bodies bodies) {
    if (!bodies.request().isEmpty()) {
      operation.setRequestBody(
          new RequestBody()
              .required(true)
              .description(bodies.description())
              .content(content(bodies.request())));
    }
    Content answer = content(bodies.answer());
    operation
        .getResponses()
        .addApiResponse("200", new ApiResponse().description("OK").content(answer));
    if (operation.getOperationId().endsWith("Ready")) {
      operation
          .getResponses()
          .addApiResponse(
              "503",
              new ApiResponse().description("Not ready (the answer says so)").content(answer));
    }
    if (bodies.request().containsKey("application/octet-stream")) {
      operation.addParametersItem(
          new HeaderParameter()
              .name(V2Json.HEADER_LENGTH)
              .description("Binary extension: the byte length of the body's JSON part")
              .schema(new IntegerSchema()));
    }
  }

  private static Content content(Map<String, Schema<?>> byType) {
    Content content = new Content();
    byType.forEach((type, schema) -> content.addMediaType(type, new MediaType().schema(schema)));
    return content;
  }

  private static Schema<?> ref(String name) {
    return new Schema<>().$ref("#/components/schemas/" + name);
  }

  private static Schema<?> binary() {
    return new StringSchema().format("binary");
  }
}
