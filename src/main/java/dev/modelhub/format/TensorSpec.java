package dev.modelhub.format;

import java.util.List;

/**
 * One input or output of a model.
 *
 * @param name the tensor name clients use in inference requests
 * @param datatype the element type (FP32, INT64, BOOL, BYTES…)
 * @param shape the dimensions, -1 where unknown (such as the batch); null when even the rank is
 *     unknown
 */
public record TensorSpec(String name, Datatype datatype, List<Long> shape) {}
