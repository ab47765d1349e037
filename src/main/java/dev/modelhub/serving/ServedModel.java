package dev.modelhub.serving;

import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;

/**
 * A version this node answers for.
 *
 * @param model the model's name
 * @param version the version number
 * @param format the artifact format
 * @param signature its inputs and outputs
 */
public record ServedModel(
    String model, int version, ModelFormat format, ModelSignature signature) {}
