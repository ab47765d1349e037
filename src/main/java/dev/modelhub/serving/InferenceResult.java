package dev.modelhub.serving;

import java.util.List;

/**
 * What a model answered.
 *
 * @param model the model's name
 * @param version the version that answered
 * @param outputs the output tensors, in signature order
 */
public record InferenceResult(String model, int version, List<Tensor> outputs) {}
