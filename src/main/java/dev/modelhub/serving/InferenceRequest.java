package dev.modelhub.serving;

import java.util.List;

/**
 * One inference call.
 *
 * @param model the model's name
 * @param version a version number, or null to use the alias
 * @param alias the alias to use when no version is given; null means the default alias
 * @param inputs the input tensors, by name
 * @param outputs the outputs to return; empty returns all
 */
public record InferenceRequest(
    String model, Integer version, String alias, List<Tensor> inputs, List<String> outputs) {}
