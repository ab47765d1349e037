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
import dev.modelhub.serving.SlotStatus;
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
  Map<String, Object> live() {
    return Map.of("live", true);
  }

  @GetMapping("/health/ready")
  @Public
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

  /** Admits the request (model served, queue not full) before its body is read. */
  private byte[] infer(String name, Integer version, HttpServletRequest request)
      throws IOException {
    try (InferenceService.Admission admitted = inference.admit(name, version, null)) {
      V2Json.Request parsed;
      try {
        parsed = codec.read(RequestBodies.limited(request, maxRequestSize));
      } catch (RuntimeException e) {
        admitted.refused();
        throw e;
      }
      InferenceResult result = admitted.infer(parsed.inputs(), parsed.outputs());
      return codec.write(result, parsed.id());
    }
  }

  /**
   * 200 when the version (or the default alias) answers, 503 while it is wanted but still loading
   * or failing, 404 when nothing on this node wants it.
   */
  private ResponseEntity<Map<String, Object>> readiness(String name, Integer version) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    if (version != null) {
      body.put("version", version.toString());
    }
    List<Integer> served = inference.servedVersions(name);
    List<SlotStatus> slots =
        inference.status().stream().filter(s -> s.model().equals(name)).toList();
    boolean ready;
    boolean wanted;
    if (version != null) {
      ready = served.contains(version);
      wanted = ready || slots.stream().anyMatch(s -> s.desiredVersion() == version);
    } else {
      var slot = slots.stream().filter(s -> s.alias().equals(defaultAlias)).findFirst();
      ready = slot.map(s -> s.version() != null).orElse(false);
      wanted = slot.isPresent();
    }
    if (!wanted) {
      throw new ServingExceptions.NotServed(
          "Model '"
              + name
              + "'"
              + (version == null ? "" : " version " + version)
              + " is not served on this node.",
          served);
    }
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
