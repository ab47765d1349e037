package dev.modelhub.registry;

import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;

/**
 * A registered version, as other features need it.
 *
 * @param model the model's name
 * @param version the version number
 * @param digest {@code sha256:<hex>} of the artifact
 * @param sizeBytes artifact size
 * @param format artifact format
 * @param signature inputs and outputs
 * @param parameterCount number of weights, when known
 * @param formatDetails inspection details
 * @param status READY or ARCHIVED
 */
public record VersionRef(
    String model,
    int version,
    String digest,
    long sizeBytes,
    ModelFormat format,
    ModelSignature signature,
    Long parameterCount,
    FormatDetails formatDetails,
    VersionStatus status) {

  /** The version as a loader takes it (no alias, no warm-up samples). */
  public AliasTarget target() {
    return new AliasTarget(
        model,
        null,
        version,
        digest,
        sizeBytes,
        format,
        signature,
        formatDetails,
        false,
        null,
        null);
  }
}
