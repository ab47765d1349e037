package dev.modelhub.serving.http;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Public;
import dev.modelhub.security.Role;
import dev.modelhub.serving.InferenceResult;
import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.ServedModel;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.VersionTarget;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.ObjectMapper;

/** The Open Inference Protocol v2 (KServe / Triton REST) over the models loaded on this node. */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Inference — Open Inference Protocol")
@ConditionalOnRole(NodeRole.SERVING)
@RestController
@RequestMapping("/v2")
@Allow(value = Role.VIEWER, inference = true)
class V2Controller {

  private final InferenceService inference;
  private final V2Json codec;
  private final String serverVersion;
  private final String defaultAlias;
  private final long maxRequestSize;

  V2Controller(
      InferenceService inference,
      ServingProperties properties,
      ObjectMapper json,
      ObjectProvider<BuildProperties> build) {
    this.inference = inference;
    this.defaultAlias = properties.defaultAlias();
    this.codec = new V2Json(json, properties.maxTensorElements());
    this.maxRequestSize = properties.maxRequestSize().toBytes();
    BuildProperties buildProperties = build.getIfAvailable();
    this.serverVersion = buildProperties == null ? "dev" : buildProperties.getVersion();
  }

  @GetMapping("/health/live")
  @Public
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "serverLive",
      summary = "Is the server live",
      description = "Always open.")
  Map<String, Object> live() {
    return Map.of("live", true);
  }

  @GetMapping("/health/ready")
  @Public
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "serverReady",
      summary = "Is the server ready",
      description =
          "200 once the loads it started with have ended and every critical model answers, else 503. Always open.")
  ResponseEntity<Map<String, Object>> ready() {
    boolean ready = inference.ready();
    return ResponseEntity.status(ready ? 200 : 503).body(Map.of("ready", ready));
  }

  @GetMapping
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "serverMetadata",
      summary = "Server metadata")
  Map<String, Object> server() {
    return Map.of(
        "name",
        "modelhub",
        "version",
        serverVersion,
        "extensions",
        List.of("binary_tensor_data", "classification"));
  }

  @GetMapping("/models/{name}")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "modelMetadata",
      summary = "A model's metadata",
      description =
          "The signature of the version the default alias serves, Triton's platform name, its batching and pipeline.")
  Map<String, Object> metadata(@PathVariable String name) {
    return metadata(inference.describe(name, null));
  }

  @GetMapping("/models/{name}/versions/{version}")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "modelVersionMetadata",
      summary = "A version's metadata",
      description = "`version` is a number or an alias name (production, staging).")
  Map<String, Object> metadata(@PathVariable String name, @PathVariable String version) {
    VersionTarget target = VersionTarget.of(version);
    return metadata(
        inference.describe(
            name, target.number(), target.alias() == null ? defaultAlias : target.alias()));
  }

  @GetMapping("/models/{name}/ready")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "modelReady",
      summary = "Is a model ready",
      description =
          "200 when the default alias's version answers, 503 while it loads or fails, 404 when nothing on this node wants it.")
  ResponseEntity<Map<String, Object>> modelReady(@PathVariable String name) {
    return readiness(name, VersionTarget.of(null));
  }

  @GetMapping("/models/{name}/versions/{version}/ready")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "modelVersionReady",
      summary = "Is a version ready",
      description = "`version` is a number or an alias name.")
  ResponseEntity<Map<String, Object>> modelReady(
      @PathVariable String name, @PathVariable String version) {
    return readiness(name, VersionTarget.of(version));
  }

  @PostMapping("/models/{name}/infer")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "modelInfer",
      summary = "Run inference on the default alias's version",
      description =
          "Open Inference Protocol v2. The default alias is the first of modelhub.serving.aliases (production); after moving it, a node answers with the new version once it has loaded it (GET /api/v1/serving shows when). Requests are admitted before their body is read (404 when the model is not served here, 429 when its queue is full). A BYTES input holding encoded images goes through the version's pipeline; an output with `parameters.classification` = k is answered as Triton's classification extension does.")
  ResponseEntity<byte[]> infer(@PathVariable String name, HttpServletRequest request)
      throws IOException {
    return infer(name, VersionTarget.of(null), request);
  }

  @PostMapping("/models/{name}/versions/{version}/infer")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "modelVersionInfer",
      summary = "Run inference on a version",
      description = "`version` is a number or an alias name. Otherwise as modelInfer.")
  ResponseEntity<byte[]> inferVersion(
      @PathVariable String name, @PathVariable String version, HttpServletRequest request)
      throws IOException {
    return infer(name, VersionTarget.of(version), request);
  }

  /** Admits the request (model served, queue not full) before its body is read. */
  private ResponseEntity<byte[]> infer(
      String name, VersionTarget target, HttpServletRequest request) throws IOException {
    long jsonLength = jsonLength(request);
    try (InferenceService.Admission admitted =
        inference.admit(name, target.number(), target.alias())) {
      V2Json.Request parsed;
      try {
        parsed = codec.read(RequestBodies.limited(request, maxRequestSize), jsonLength);
      } catch (RuntimeException e) {
        admitted.refused();
        throw e;
      }
      InferenceResult result = admitted.infer(parsed.inputs(), parsed.outputs());
      return answer(codec.answer(admitted.classified(result, parsed.classification()), parsed));
    }
  }

  /**
   * The length of a binary-extension body's JSON part ({@value V2Json#HEADER_LENGTH}), or -1 for an
   * all-JSON body.
   */
  private long jsonLength(HttpServletRequest request) {
    String header = request.getHeader(V2Json.HEADER_LENGTH);
    if (header == null) {
      return -1;
    }
    long length;
    try {
      length = Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      length = -1;
    }
    long declared = request.getContentLengthLong();
    if (length < 0 || (declared >= 0 && length > declared)) {
      throw ServingExceptions.invalidInput(
          V2Json.HEADER_LENGTH
              + " is '"
              + header
              + "'; it must be the byte length of the body's JSON part"
              + (declared >= 0 ? ", at most the body's " + declared + " bytes" : "")
              + ".");
    }
    return length;
  }

  /** An all-JSON answer, or the binary extension's: the JSON part, then the binary outputs. */
  static ResponseEntity<byte[]> answer(V2Json.Answer answer) {
    if (!answer.hasBinary()) {
      return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(answer.json());
    }
    int total = answer.json().length;
    for (byte[] part : answer.binary()) {
      total = Math.addExact(total, part.length);
    }
    byte[] body = new byte[total];
    System.arraycopy(answer.json(), 0, body, 0, answer.json().length);
    int at = answer.json().length;
    for (byte[] part : answer.binary()) {
      System.arraycopy(part, 0, body, at, part.length);
      at += part.length;
    }
    return ResponseEntity.ok()
        .contentType(MediaType.APPLICATION_OCTET_STREAM)
        .header(V2Json.HEADER_LENGTH, Integer.toString(answer.json().length))
        .body(body);
  }

  /**
   * 200 when the version (or the default alias) answers, 503 while it is wanted but still loading
   * or failing, 404 when nothing on this node wants it.
   */
  private ResponseEntity<Map<String, Object>> readiness(String name, VersionTarget target) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    if (target.number() != null || target.alias() != null) {
      body.put("version", target.number() != null ? target.number().toString() : target.alias());
    }
    boolean ready = inference.ready(name, target.number(), target.alias());
    body.put("ready", ready);
    return ResponseEntity.status(ready ? 200 : 503).body(body);
  }

  private Map<String, Object> metadata(ServedModel model) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", model.model());
    body.put(
        "versions", inference.servedVersions(model.model()).stream().map(String::valueOf).toList());
    body.put("platform", model.format().platform());
    body.put("inputs", tensors(model.signature().inputs()));
    body.put("outputs", tensors(model.signature().outputs()));
    if (model.pipeline() != null) {
      // What a client sends instead of tensors (images, rows) and reads back (labels).
      body.put("pipeline", model.pipeline());
    }
    if (model.batching() != null) {
      // Triton shows it in the model's configuration; here next to the metadata.
      body.put("batching", model.batching());
    }
    return body;
  }

  private static List<Map<String, Object>> tensors(List<TensorSpec> specs) {
    return specs.stream()
        .map(
            s -> {
              Map<String, Object> tensor = new LinkedHashMap<>();
              tensor.put("name", s.name());
              tensor.put("datatype", s.datatype());
              tensor.put("shape", s.shape() == null ? List.of(-1) : s.shape());
              return tensor;
            })
        .toList();
  }
}
