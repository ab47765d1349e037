package dev.modelhub.format;

import tools.jackson.databind.JsonNode;

/**
 * What inspection learned about an artifact.
 *
 * @param format the detected format
 * @param signature the inputs and outputs (for a SavedModel, those of its default signature)
 * @param parameterCount number of weights, or null when the format does not tell
 * @param details format-specific facts: ONNX ir version, opsets and producer; SavedModel tags,
 *     TensorFlow version and every signature; TorchScript archive layout
 * @param warmup warm-up samples the artifact carries (a v2 request body read from a SavedModel's
 *     {@code assets.extra/tf_serving_warmup_requests}), or null
 */
public record ArtifactInspection(
    ModelFormat format,
    ModelSignature signature,
    Long parameterCount,
    FormatDetails details,
    JsonNode warmup) {

  public ArtifactInspection(
      ModelFormat format, ModelSignature signature, Long parameterCount, FormatDetails details) {
    this(format, signature, parameterCount, details, null);
  }
}
