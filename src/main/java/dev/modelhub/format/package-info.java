/**
 * Model formats: recognizing ONNX, TensorFlow SavedModel and TorchScript artifacts, checking they
 * are complete, and describing every one with the same {@link dev.modelhub.format.ModelSignature}
 * (Open Inference Protocol datatypes, -1 for unknown dimensions).
 */
@org.springframework.modulith.ApplicationModule
package dev.modelhub.format;
