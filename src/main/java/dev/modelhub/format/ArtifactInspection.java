package dev.modelhub.format;

/**
 * What inspection learned about an artifact.
 *
 * @param format the detected format
 * @param signature the inputs and outputs (for a SavedModel, those of its default signature)
 * @param parameterCount number of weights, or null when the format does not tell
 * @param details format-specific facts: ONNX ir version, opsets and producer; SavedModel tags,
 *     TensorFlow version and every signature; TorchScript archive layout
 */
public record ArtifactInspection(
    ModelFormat format, ModelSignature signature, Long parameterCount, FormatDetails details) {}
