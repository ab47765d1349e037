package dev.modelhub.format;

import java.util.List;

/**
 * What a model takes and returns, in one shape for every format.
 *
 * @param inputs the tensors a request supplies
 * @param outputs the tensors a response carries
 */
public record ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {

  public ModelSignature {
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
  }
}
