package dev.modelhub.format;

import java.util.List;
import java.util.Map;

/** What inspection learned about an artifact beyond its signature, by format. */
public sealed interface FormatDetails
    permits FormatDetails.Onnx, FormatDetails.SavedModel, FormatDetails.TorchScript {

  /** The details type of {@code format}, for reading stored details back. */
  static Class<? extends FormatDetails> typeOf(ModelFormat format) {
    return switch (format) {
      case ONNX -> Onnx.class;
      case SAVED_MODEL -> SavedModel.class;
      case TORCHSCRIPT -> TorchScript.class;
    };
  }

  /**
   * An ONNX model.
   *
   * @param irVersion the ONNX IR version
   * @param opsets operator set versions by domain ("" is the default domain)
   * @param producer the exporter and its version
   * @param graphName the graph's name
   * @param nodeCount nodes in the main graph
   * @param opTypes how often each operator is used
   * @param initializerCount weights stored in the model
   * @param externalData whether any tensor keeps its bytes in a separate file
   * @param modelFile the .onnx file inside the archive, or null for a bare .onnx upload
   */
  record Onnx(
      long irVersion,
      Map<String, Long> opsets,
      String producer,
      String graphName,
      int nodeCount,
      Map<String, Integer> opTypes,
      int initializerCount,
      boolean externalData,
      String modelFile)
      implements FormatDetails {}

  /**
   * A TensorFlow SavedModel.
   *
   * @param tags the meta graph's tags
   * @param tensorflowVersion the TensorFlow that wrote it
   * @param defaultSignature the signature requests are answered with
   * @param signatures every serving signature
   * @param variables whether it has a variables checkpoint
   * @param modelDir the folder holding saved_model.pb inside the archive
   */
  record SavedModel(
      List<String> tags,
      String tensorflowVersion,
      String defaultSignature,
      Map<String, ModelSignature> signatures,
      boolean variables,
      String modelDir)
      implements FormatDetails {}

  /**
   * A TorchScript archive.
   *
   * @param archiveName the folder its entries live under
   * @param codeFiles the TorchScript code files
   * @param tensorDataBytes bytes of tensor data
   * @param constants whether it has constants.pkl
   */
  record TorchScript(String archiveName, long codeFiles, long tensorDataBytes, boolean constants)
      implements FormatDetails {}
}
