package dev.modelhub.registry;

import dev.modelhub.format.BatchingPolicy;
import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.Pipeline;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A model version as the API shows it.
 *
 * @param model the model's name
 * @param version the version number, 1, 2, 3… per model
 * @param format the artifact format
 * @param digest {@code sha256:<hex>} of the artifact's bytes; also its ETag
 * @param sizeBytes artifact size
 * @param filename the file name it was uploaded as, if known
 * @param signature inputs and outputs
 * @param parameterCount number of weights, when the format tells
 * @param formatDetails format-specific facts found by inspection
 * @param description free text
 * @param tags key/value labels
 * @param status READY or ARCHIVED
 * @param aliases the aliases pointing at this version
 * @param parentVersion the version this one was derived from (optimization variants)
 * @param producedByJob the job that produced it
 * @param lineage how it was derived from its parent: pass and parameters
 * @param report measurements against its parent
 * @param createdAt when it was registered
 * @param createdBy who registered it
 * @param updatedAt when it last changed
 * @param warmupSamples whether it carries warm-up samples that nodes run before it takes traffic
 * @param servable whether its engine loaded it when it was registered (a validation load, isolated
 *     as serving loads); null while the check runs, when it could not tell, or when no node with
 *     the serving role checked it. An alias moves to an unservable version only with {@code
 *     force=true}, and to one being checked not at all
 * @param batching dynamic batching on serving nodes (from the upload's metadata, or the parent's
 *     for a variant); null when off
 * @param pipeline its pre- and post-processing (images or rows in, labels out); null when it has
 *     none
 * @param servableMessage the engine's message when it is not servable
 */
public record VersionView(
    String model,
    int version,
    ModelFormat format,
    String digest,
    long sizeBytes,
    String filename,
    ModelSignature signature,
    Long parameterCount,
    FormatDetails formatDetails,
    String description,
    Map<String, String> tags,
    VersionStatus status,
    List<String> aliases,
    Integer parentVersion,
    Long producedByJob,
    JsonNode lineage,
    JsonNode report,
    Instant createdAt,
    String createdBy,
    Instant updatedAt,
    boolean warmupSamples,
    BatchingPolicy batching,
    Pipeline pipeline,
    Boolean servable,
    String servableMessage) {}
