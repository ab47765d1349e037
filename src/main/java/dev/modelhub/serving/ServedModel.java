package dev.modelhub.serving;

import dev.modelhub.format.BatchingPolicy;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.Pipeline;

/**
 * A version this node answers for.
 *
 * @param model the model's name
 * @param version the version number
 * @param format the artifact format
 * @param signature its inputs and outputs
 * @param batching how its requests are batched, or null when they are not
 * @param pipeline its pre- and post-processing, or null when it has none
 */
public record ServedModel(
    String model,
    int version,
    ModelFormat format,
    ModelSignature signature,
    BatchingPolicy batching,
    Pipeline pipeline) {}
