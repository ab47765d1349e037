package dev.modelhub.serving.http;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.Pipeline;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Role;
import dev.modelhub.serving.Classification;
import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.ServedModel;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.SlotState;
import dev.modelhub.serving.SlotStatus;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorBytes;
import dev.modelhub.serving.internal.ImageSteps;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.tensorflow.proto.DataType;
import tools.jackson.core.JacksonException;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** TensorFlow Serving's REST API, so TF Serving clients work unchanged. Labels are aliases. */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Inference — TensorFlow Serving")
@ConditionalOnRole(NodeRole.SERVING)
@RestController
@RequestMapping("/v1/models")
@Allow(value = Role.VIEWER, inference = true)
class TfServingController {

  private static final String DEFAULT_SIGNATURE = "serving_default";

  private final InferenceService inference;
  private final ServingProperties properties;
  private final ObjectMapper json;
  private final TfServingJson codec;

  TfServingController(InferenceService inference, ServingProperties properties, ObjectMapper json) {
    this.inference = inference;
    this.properties = properties;
    this.json = json;
    this.codec = new TfServingJson(json, properties.maxTensorElements());
  }

  @PostMapping(path = "/{name}:predict", produces = MediaType.APPLICATION_JSON_VALUE)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "tfPredict",
      summary = "Predict with the default alias's version",
      description = "TensorFlow Serving's predict API; datatypes come from the signature.")
  byte[] predict(@PathVariable String name, HttpServletRequest request) throws IOException {
    return predict(name, null, null, request);
  }

  @PostMapping(
      path = "/{name}/versions/{version}:predict",
      produces = MediaType.APPLICATION_JSON_VALUE)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "tfPredictVersion",
      summary = "Predict with a version")
  byte[] predictVersion(
      @PathVariable String name, @PathVariable int version, HttpServletRequest request)
      throws IOException {
    return predict(name, version, null, request);
  }

  @PostMapping(path = "/{name}/labels/{label}:predict", produces = MediaType.APPLICATION_JSON_VALUE)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "tfPredictLabel",
      summary = "Predict with the version under a label (an alias)")
  byte[] predictLabel(
      @PathVariable String name, @PathVariable String label, HttpServletRequest request)
      throws IOException {
    checkLabel(name, label);
    return predict(name, null, label, request);
  }

  /**
   * TF Serving's Classify API over the version's pipeline: each example's features (merged with the
   * request's {@code context}) are an image ({@code {"b64": …}}) or a tabular row, and each answer
   * is the example's classes as {@code [label, score]} pairs, best first.
   */
  @PostMapping(path = "/{name}:classify", produces = MediaType.APPLICATION_JSON_VALUE)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "tfClassify",
      summary = "Classify examples with the default alias's version",
      description =
          "TensorFlow Serving's classify API over the version's pipeline: each example is an image ({\"b64\": …}) or a tabular row; each answer its classes as [label, score], best first, after the pipeline's threshold and top-k.")
  Map<String, Object> classify(@PathVariable String name, HttpServletRequest request)
      throws IOException {
    return classify(name, null, null, request);
  }

  @PostMapping(
      path = "/{name}/versions/{version}:classify",
      produces = MediaType.APPLICATION_JSON_VALUE)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "tfClassifyVersion",
      summary = "Classify examples with a version")
  Map<String, Object> classifyVersion(
      @PathVariable String name, @PathVariable int version, HttpServletRequest request)
      throws IOException {
    return classify(name, version, null, request);
  }

  @PostMapping(
      path = "/{name}/labels/{label}:classify",
      produces = MediaType.APPLICATION_JSON_VALUE)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "tfClassifyLabel",
      summary = "Classify examples with the version under a label")
  Map<String, Object> classifyLabel(
      @PathVariable String name, @PathVariable String label, HttpServletRequest request)
      throws IOException {
    checkLabel(name, label);
    return classify(name, null, label, request);
  }

  private Map<String, Object> classify(
      String name, Integer version, String label, HttpServletRequest request) throws IOException {
    try (InferenceService.Admission admitted =
        inference.admit(name, version, version == null ? label : null)) {
      Tensor input;
      try {
        JsonNode body = readTree(request);
        checkSignature(body.path("signature_name").asString(""));
        input = examples(admitted, body);
      } catch (RuntimeException e) {
        admitted.refused();
        throw e;
      }
      List<Classification> rows = admitted.predict(input);
      List<Object> answers = new ArrayList<>(rows.size());
      for (Classification row : rows) {
        answers.add(
            row.classes().stream()
                .map(
                    c ->
                        List.of(
                            c.label() == null ? Integer.toString(c.index()) : c.label(), c.score()))
                .toList());
      }
      return Map.of("result", answers);
    }
  }

  /**
   * The examples as the pipeline's input tensor: rows when it maps columns, else images. Sizes are
   * checked before anything is built from them: a row has no more features than the pipeline has
   * columns, and there are at most as many examples as the tensor can hold.
   */
  private Tensor examples(InferenceService.Admission admitted, JsonNode body) {
    Pipeline pipeline = admitted.model().pipeline();
    if (pipeline == null || !pipeline.preprocesses()) {
      throw ServingExceptions.invalidInput(
          "This version has no pipeline to turn examples into tensors; use :predict with tensors,"
              + " or give the version a pipeline.");
    }
    JsonNode examples = body.get("examples");
    if (examples == null || !examples.isArray() || examples.isEmpty()) {
      throw ServingExceptions.invalidInput(
          "A classify request needs \"examples\": a non-empty list of feature objects.");
    }
    JsonNode context = body.path("context");
    int shared = context.isObject() ? context.size() : 0;
    Pipeline.Columns columns = pipeline.columns();
    int most = columns != null ? columns.columns().size() : 1;
    if (columns == null
        ? examples.size() > ImageSteps.MAX_IMAGES
        : (long) examples.size() * most > properties.maxTensorElements()) {
      throw ServingExceptions.invalidInput(
          "The request has "
              + examples.size()
              + " examples, more than one request may classify; send fewer.");
    }
    List<Map<String, Object>> rows = new ArrayList<>(examples.size());
    List<byte[]> images = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      JsonNode example = examples.get(i);
      if (!example.isObject()) {
        throw ServingExceptions.invalidInput("Example " + i + " is not an object of features.");
      }
      if (columns == null) {
        images.add(image(example, i));
        continue;
      }
      if (shared + example.size() > most) {
        throw ServingExceptions.invalidInput(
            "Example "
                + i
                + " has "
                + (shared + example.size())
                + " features with the context, more than the pipeline's "
                + most
                + " columns.");
      }
      Map<String, Object> features = new LinkedHashMap<>();
      for (JsonNode source : List.of(context, example)) {
        if (!source.isObject()) {
          continue;
        }
        for (Map.Entry<String, JsonNode> feature : source.properties()) {
          if (features.put(feature.getKey(), feature(feature.getValue())) != null) {
            throw ServingExceptions.invalidInput(
                "Feature '"
                    + feature.getKey()
                    + "' is in both the context and example "
                    + i
                    + "; context features must not repeat in examples.");
          }
        }
      }
      rows.add(features);
    }
    return columns != null ? admitted.rows(rows) : admitted.images(images);
  }

  /** The one binary feature ({@code {"b64": …}}) of an image example. */
  private static byte[] image(JsonNode example, int index) {
    byte[] found = null;
    for (Map.Entry<String, JsonNode> feature : example.properties()) {
      if (feature(feature.getValue()) instanceof byte[] bytes) {
        if (found != null) {
          found = null;
          break;
        }
        found = bytes;
      }
    }
    if (found == null) {
      throw ServingExceptions.invalidInput(
          "Example "
              + index
              + " needs exactly one binary feature holding its image, as {\"b64\": \"<base64>\"}.");
    }
    return found;
  }

  /** A feature's value: a number, a {@code {"b64": …}} binary value, or a list of one. */
  private static Object feature(JsonNode value) {
    if (value.isArray() && value.size() == 1) {
      value = value.get(0);
    }
    if (value.isNumber()) {
      return value.asDouble();
    }
    if (value.isObject() && value.size() == 1 && value.get("b64") != null) {
      try {
        return TensorBytes.base64(value.get("b64").asString(""));
      } catch (IllegalArgumentException e) {
        throw ServingExceptions.invalidInput("A \"b64\" feature is not base64.");
      }
    }
    return value.toString();
  }

  private void checkLabel(String name, String label) {
    if (!properties.aliases().contains(label)) {
      throw new ServingExceptions.NotServed(
          "Label '" + label + "' is not served; served labels are " + properties.aliases() + ".",
          inference.servedVersions(name));
    }
  }

  private static void checkSignature(String signature) {
    if (!signature.isEmpty() && !signature.equals(DEFAULT_SIGNATURE)) {
      throw ServingExceptions.invalidInput(
          "Signature '" + signature + "' is not served; only '" + DEFAULT_SIGNATURE + "' is.");
    }
  }

  @GetMapping("/{name}")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "tfModelStatus",
      summary = "A model's version status",
      description =
          "AVAILABLE, LOADING, END (failed) or UNLOADING per version, as TF Serving's GetModelStatus.")
  Map<String, Object> status(@PathVariable String name) {
    List<SlotStatus> slots =
        inference.status().stream().filter(s -> s.model().equals(name)).toList();
    List<Integer> draining = inference.drainingVersions(name);
    if (slots.isEmpty() && draining.isEmpty()) {
      throw new ServingExceptions.NotServed(
          "Model '" + name + "' is not served on this node.", List.of());
    }
    Map<Integer, Map<String, Object>> byVersion = new TreeMap<>();
    for (SlotStatus slot : slots) {
      if (slot.version() != null) {
        byVersion.put(slot.version(), versionStatus(slot.version(), "AVAILABLE", null));
      }
      if (slot.version() == null || slot.version() != slot.desiredVersion()) {
        boolean failed = slot.state() == SlotState.FAILED;
        byVersion.putIfAbsent(
            slot.desiredVersion(),
            versionStatus(
                slot.desiredVersion(),
                failed ? "END" : "LOADING",
                failed ? slot.lastError() : null));
      }
    }
    for (int version : draining) {
      byVersion.putIfAbsent(version, versionStatus(version, "UNLOADING", null));
    }
    return Map.of("model_version_status", new ArrayList<>(byVersion.values()));
  }

  @GetMapping("/{name}/metadata")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "tfModelMetadata",
      summary = "The default alias's version's signature_def")
  Map<String, Object> metadata(@PathVariable String name) {
    return metadata(inference.describe(name, null));
  }

  @GetMapping("/{name}/versions/{version}/metadata")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "tfModelVersionMetadata",
      summary = "A version's signature_def")
  Map<String, Object> metadata(@PathVariable String name, @PathVariable int version) {
    return metadata(inference.describe(name, version));
  }

  /** Admits the request (model served, queue not full) before its body is read. */
  private byte[] predict(String name, Integer version, String label, HttpServletRequest request)
      throws IOException {
    try (InferenceService.Admission admitted =
        inference.admit(name, version, version == null ? label : null)) {
      TfServingJson.Request parsed;
      try {
        parsed = read(request, admitted.model());
      } catch (RuntimeException e) {
        admitted.refused();
        throw e;
      }
      return codec.write(admitted.infer(parsed.inputs(), List.of()), parsed.rowFormat());
    }
  }

  private TfServingJson.Request read(HttpServletRequest request, ServedModel model)
      throws IOException {
    TfServingJson.Request parsed = codec.read(readTree(request), model.signature());
    checkSignature(parsed.signatureName() == null ? "" : parsed.signatureName());
    return parsed;
  }

  private JsonNode readTree(HttpServletRequest request) throws IOException {
    try {
      // A TF Serving body is read as a tree, several times its size in memory: a quarter of
      // the v2 limit keeps the two alike in what they cost.
      return json.reader()
          .with(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .readTree(RequestBodies.limited(request, properties.maxRequestSize().toBytes() / 4));
    } catch (JacksonException e) {
      throw V2Json.malformed("it is not valid JSON (" + e.getOriginalMessage() + ")");
    }
  }

  private ServedModel describe(String name, Integer version, String label) {
    if (label == null || version != null) {
      return inference.describe(name, version);
    }
    return inference.describe(name, null, label);
  }

  private static Map<String, Object> versionStatus(int version, String state, String error) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("version", Integer.toString(version));
    status.put("state", state);
    status.put(
        "status",
        Map.of(
            "error_code", error == null ? "OK" : "UNKNOWN",
            "error_message", error == null ? "" : error));
    return status;
  }

  private Map<String, Object> metadata(ServedModel model) {
    Map<String, Object> signature = new LinkedHashMap<>();
    signature.put("inputs", tensorInfos(model.signature().inputs()));
    signature.put("outputs", tensorInfos(model.signature().outputs()));
    signature.put("method_name", "tensorflow/serving/predict");
    return Map.of(
        "model_spec",
        Map.of(
            "name",
            model.model(),
            "signature_name",
            "",
            "version",
            Integer.toString(model.version())),
        "metadata",
        Map.of("signature_def", Map.of("signature_def", Map.of(DEFAULT_SIGNATURE, signature))));
  }

  private static Map<String, Object> tensorInfos(List<TensorSpec> specs) {
    Map<String, Object> infos = new LinkedHashMap<>();
    for (TensorSpec spec : specs) {
      Map<String, Object> shape = new LinkedHashMap<>();
      if (spec.shape() == null) {
        shape.put("unknown_rank", true);
      } else {
        shape.put(
            "dim",
            spec.shape().stream().map(d -> Map.of("size", Long.toString(d), "name", "")).toList());
        shape.put("unknown_rank", false);
      }
      infos.put(
          spec.name(),
          Map.of(
              "dtype",
              tensorFlowType(spec.datatype()),
              "tensor_shape",
              shape,
              "name",
              spec.name()));
    }
    return infos;
  }

  private static String tensorFlowType(Datatype datatype) {
    DataType type =
        switch (datatype) {
          case FP32 -> DataType.DT_FLOAT;
          case FP64 -> DataType.DT_DOUBLE;
          case FP16 -> DataType.DT_HALF;
          case BF16 -> DataType.DT_BFLOAT16;
          case BOOL -> DataType.DT_BOOL;
          case BYTES -> DataType.DT_STRING;
          case INT8 -> DataType.DT_INT8;
          case INT16 -> DataType.DT_INT16;
          case INT32 -> DataType.DT_INT32;
          case INT64 -> DataType.DT_INT64;
          case UINT8 -> DataType.DT_UINT8;
          case UINT16 -> DataType.DT_UINT16;
          case UINT32 -> DataType.DT_UINT32;
          case UINT64 -> DataType.DT_UINT64;
          case COMPLEX64 -> DataType.DT_COMPLEX64;
          case COMPLEX128 -> DataType.DT_COMPLEX128;
          default -> DataType.DT_INVALID;
        };
    return type.name();
  }
}
