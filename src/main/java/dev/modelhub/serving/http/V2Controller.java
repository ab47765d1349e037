package dev.modelhub.serving.http;

import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.InferenceRequest;
import dev.modelhub.serving.InferenceResult;
import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.ServedModel;
import dev.modelhub.serving.ServingExceptions;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
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
@RestController
@ConditionalOnBooleanProperty(name = "modelhub.serving.enabled", matchIfMissing = true)
@RequestMapping("/v2")
class V2Controller {

  private final InferenceService inference;
  private final V2Json codec;
  private final String serverVersion;

  V2Controller(
      InferenceService inference, ObjectMapper json, ObjectProvider<BuildProperties> build) {
    this.inference = inference;
    this.codec = new V2Json(json);
    BuildProperties properties = build.getIfAvailable();
    this.serverVersion = properties == null ? "dev" : properties.getVersion();
  }

  @GetMapping("/health/live")
  Map<String, Object> live() {
    return Map.of("live", true);
  }

  @GetMapping("/health/ready")
  ResponseEntity<Map<String, Object>> ready() {
    boolean ready = inference.ready();
    return ResponseEntity.status(ready ? 200 : 503).body(Map.of("ready", ready));
  }

  @GetMapping
  Map<String, Object> server() {
    return Map.of("name", "modelhub", "version", serverVersion, "extensions", List.of());
  }

  @GetMapping("/models/{name}")
  Map<String, Object> metadata(@PathVariable String name) {
    return metadata(inference.describe(name, null));
  }

  @GetMapping("/models/{name}/versions/{version}")
  Map<String, Object> metadata(@PathVariable String name, @PathVariable int version) {
    return metadata(inference.describe(name, version));
  }

  @GetMapping("/models/{name}/ready")
  ResponseEntity<Map<String, Object>> modelReady(@PathVariable String name) {
    return readiness(name, null);
  }

  @GetMapping("/models/{name}/versions/{version}/ready")
  ResponseEntity<Map<String, Object>> modelReady(
      @PathVariable String name, @PathVariable int version) {
    return readiness(name, version);
  }

  @PostMapping(path = "/models/{name}/infer", produces = MediaType.APPLICATION_JSON_VALUE)
  byte[] infer(@PathVariable String name, HttpServletRequest request) throws IOException {
    return infer(name, null, request);
  }

  @PostMapping(
      path = "/models/{name}/versions/{version}/infer",
      produces = MediaType.APPLICATION_JSON_VALUE)
  byte[] inferVersion(
      @PathVariable String name, @PathVariable int version, HttpServletRequest request)
      throws IOException {
    return infer(name, version, request);
  }

  private byte[] infer(String name, Integer version, HttpServletRequest request)
      throws IOException {
    V2Json.Request parsed = codec.read(request.getInputStream());
    InferenceResult result =
        inference.infer(
            new InferenceRequest(name, version, null, parsed.inputs(), parsed.outputs()));
    return codec.write(result, parsed.id());
  }

  private ResponseEntity<Map<String, Object>> readiness(String name, Integer version) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    if (version != null) {
      body.put("version", version.toString());
    }
    List<Integer> served = inference.servedVersions(name);
    boolean ready = version == null ? isDefaultServed(name) : served.contains(version);
    boolean known =
        !served.isEmpty() || inference.status().stream().anyMatch(s -> s.model().equals(name));
    if (!known) {
      throw new ServingExceptions.NotServed(
          "Model '" + name + "' is not served on this node.", served);
    }
    body.put("ready", ready);
    return ResponseEntity.status(ready ? 200 : 503).body(body);
  }

  private boolean isDefaultServed(String name) {
    try {
      inference.describe(name, null);
      return true;
    } catch (ServingExceptions.NotServed | ServingExceptions.Unavailable e) {
      return false;
    }
  }

  private Map<String, Object> metadata(ServedModel model) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", model.model());
    body.put(
        "versions", inference.servedVersions(model.model()).stream().map(String::valueOf).toList());
    body.put("platform", model.format().platform());
    body.put("inputs", tensors(model.signature().inputs()));
    body.put("outputs", tensors(model.signature().outputs()));
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
