package dev.modelhub.serving.internal;

import ai.djl.translate.TranslateException;
import dev.modelhub.serving.Tensor;
import java.util.List;

/** Runs engine calls one at a time for a loaded version. */
interface EngineSession extends AutoCloseable {

  /**
   * Runs the model on validated inputs, answering its outputs in signature order.
   *
   * @throws TranslateException the engine refused the input
   * @throws EngineStopped the engine's host died during or before the call
   */
  List<Tensor> call(List<Tensor> inputs) throws TranslateException;

  /**
   * Whether {@link #close()} may be called while a call runs (it then ends that call): true for a
   * host connection, false for an in-process predictor, whose native memory a running call uses.
   */
  default boolean abortable() {
    return false;
  }

  @Override
  void close();
}
