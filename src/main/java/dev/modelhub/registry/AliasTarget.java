package dev.modelhub.registry;

import dev.modelhub.format.BatchingPolicy;
import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.Pipeline;

/**
 * The version an alias points at, with what a server needs to fetch and load it.
 *
 * @param model the model's name
 * @param alias the alias
 * @param version the version number
 * @param digest {@code sha256:<hex>} of the artifact
 * @param sizeBytes artifact size
 * @param format artifact format
 * @param signature inputs and outputs
 * @param formatDetails inspection details (such as where in an archive the model file lies)
 * @param hasWarmup whether the version carries warm-up samples ({@link
 *     RegistryService#warmupSamples})
 * @param batching dynamic batching on serving nodes, or null when off
 * @param pipeline its pre- and post-processing, or null when it has none
 */
public record AliasTarget(
    String model,
    String alias,
    int version,
    String digest,
    long sizeBytes,
    ModelFormat format,
    ModelSignature signature,
    FormatDetails formatDetails,
    boolean hasWarmup,
    BatchingPolicy batching,
    Pipeline pipeline) {}
