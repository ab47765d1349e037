package dev.modelhub.registry;

import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.Pipeline;
import dev.modelhub.format.PipelineCheck;
import dev.modelhub.format.PipelineProperties;
import org.springframework.stereotype.Component;

/** Refuses a pipeline that does not fit the signature of its version, naming the step. */
@Component
class PipelineRules {

  private final PipelineProperties properties;

  PipelineRules(PipelineProperties properties) {
    this.properties = properties;
  }

  /** A 400 naming what does not fit. */
  void check(Pipeline pipeline, ModelSignature signature) {
    String problem = problem(pipeline, signature);
    if (problem != null) {
      throw new InvalidRequestException(
          "invalid-pipeline",
          "Invalid pipeline",
          "The pipeline does not fit the model: " + problem + ".");
    }
  }

  /** What does not fit, or null. */
  String problem(Pipeline pipeline, ModelSignature signature) {
    return pipeline == null
        ? null
        : PipelineCheck.problem(pipeline, signature, properties.maxImagePixels());
  }
}
