package dev.modelhub.serving;

import dev.modelhub.format.ModelSignature;
import dev.modelhub.registry.VersionRef;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a model for a job rather than for clients: a registered version in any format the engines
 * run (a distillation teacher), or an ONNX file a job wrote (its student). Each model is checked as
 * serving checks it and loaded in an engine host of its own — whatever {@code
 * modelhub.serving.isolation} says, since a job's model is not a promoted one — and the host ends
 * when it is closed.
 */
public interface ModelRunner {

  /**
   * Loads a registered version (fetched through the node's artifact cache, its digest verified).
   *
   * @throws Exception it could not be fetched, was refused by the checks, or did not load
   */
  Opened open(VersionRef version) throws Exception;

  /**
   * Loads an ONNX model file without external data (a job's output).
   *
   * @throws Exception it was refused by the checks or did not load
   */
  Opened openOnnx(String name, Path file, ModelSignature signature) throws Exception;

  /** A loaded model; closing it ends its engine host (and any call running in it). */
  interface Opened extends AutoCloseable {

    /** The model's outputs for {@code inputs}, in the signature's output order. */
    List<Tensor> call(List<Tensor> inputs) throws Exception;

    @Override
    void close();
  }
}
