package dev.modelhub.serving.internal;

import ai.djl.translate.TranslateException;
import dev.modelhub.serving.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

/** Runs one validated request on a loaded version (the steps the public service may not see). */
public final class InferenceSupport {

  private InferenceSupport() {}

  public static List<Tensor> run(
      LoadedVersion loaded, List<Tensor> inputs, List<String> outputs, Duration timeout)
      throws TranslateException, InterruptedException, TimeoutException {
    List<Tensor> ordered = InputValidator.check(loaded.signature(), inputs);
    InputValidator.checkOutputs(loaded.signature(), outputs);
    List<Tensor> results = loaded.infer(ordered, timeout);
    if (outputs.isEmpty()) {
      return results;
    }
    return results.stream().filter(t -> outputs.contains(t.name())).toList();
  }
}
