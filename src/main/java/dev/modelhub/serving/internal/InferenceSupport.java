package dev.modelhub.serving.internal;

import ai.djl.translate.TranslateException;
import dev.modelhub.serving.Tensor;
import java.util.List;

/** Runs one validated request on a loaded version (the steps the public service may not see). */
public final class InferenceSupport {

  private InferenceSupport() {}

  public static List<Tensor> run(LoadedVersion loaded, List<Tensor> inputs, List<String> outputs)
      throws TranslateException, InterruptedException {
    List<Tensor> ordered = InputValidator.check(loaded.signature(), inputs);
    InputValidator.checkOutputs(loaded.signature(), outputs);
    List<Tensor> results = loaded.predict(ordered);
    if (outputs.isEmpty()) {
      return results;
    }
    return results.stream().filter(t -> outputs.contains(t.name())).toList();
  }
}
