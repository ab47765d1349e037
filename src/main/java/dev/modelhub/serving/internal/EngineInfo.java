package dev.modelhub.serving.internal;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import dev.modelhub.serving.ServingProperties;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/**
 * {@code engines} in {@code /actuator/info}: the engine versions this node runs. ONNX Runtime
 * reports its own (cheap: its library is loaded anyway); the PyTorch and TensorFlow natives are the
 * ones the build ships, named rather than loaded, which would cost seconds and a gigabyte.
 */
public class EngineInfo implements InfoContributor {

  private final ServingProperties properties;

  public EngineInfo(ServingProperties properties) {
    this.properties = properties;
  }

  /** The TensorFlow and PyTorch natives the build ships (DESIGN.md §4). */
  private static final String TENSORFLOW = "2.10.1";

  private static final String PYTORCH = "2.7.1";

  @Override
  public void contribute(Info.Builder builder) {
    Map<String, Object> engines = new LinkedHashMap<>();
    // Through DJL, as serving does: an environment ONNX Runtime created first, with other
    // options, would make DJL's creation fail.
    EngineBootstrap.prepare(properties);
    // DJL's own getVersion() names the version it was built against, not the one loaded.
    Engine.getEngine("OnnxRuntime");
    engines.put("onnxruntime", OrtEnvironment.getEnvironment().getVersion());
    engines.put("pytorch", PYTORCH);
    engines.put("tensorflow", TENSORFLOW);
    engines.put("djl", Engine.getDjlVersion());
    builder.withDetail("engines", engines);
  }
}
