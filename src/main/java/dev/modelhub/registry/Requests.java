package dev.modelhub.registry;

import dev.modelhub.format.BatchingPolicy;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.Pipeline;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** Request bodies of the registry API. */
public final class Requests {

  static final int MAX_TAGS = 50;
  static final int MAX_DESCRIPTION = 10_000;

  private Requests() {}

  /**
   * Creates a model.
   *
   * @param name unique name
   * @param description free text
   * @param tags key/value labels
   */
  record CreateModel(
      @NotNull @Pattern(regexp = Names.PATTERN, message = Names.MESSAGE) String name,
      @Size(max = MAX_DESCRIPTION) String description,
      @Size(max = MAX_TAGS) Map<@Size(min = 1, max = 128) String, @Size(max = 1024) String> tags) {}

  /**
   * Changes a model or version; absent fields stay as they are, "" clears the description.
   *
   * @param description free text
   * @param tags the new full set of labels
   */
  public record Update(
      @Size(max = MAX_DESCRIPTION) String description,
      @Size(max = MAX_TAGS) Map<@Size(min = 1, max = 128) String, @Size(max = 1024) String> tags) {}

  /**
   * The optional {@code metadata} part of a version upload.
   *
   * @param description free text
   * @param tags key/value labels
   * @param signature inputs and outputs, required for TorchScript
   * @param warmup warm-up samples: a v2 inference request body ({@code {"inputs": [...]}}) that
   *     serving nodes run before the version takes traffic, instead of generated inputs (as
   *     Triton's {@code model_warmup} does)
   * @param batching dynamic batching of the version on serving nodes (off when absent)
   * @param pipeline its pre- and post-processing (images or rows in, labels out), checked against
   *     the signature
   */
  record VersionMetadata(
      @Size(max = MAX_DESCRIPTION) String description,
      @Size(max = MAX_TAGS) Map<@Size(min = 1, max = 128) String, @Size(max = 1024) String> tags,
      ModelSignature signature,
      JsonNode warmup,
      @Valid BatchingPolicy batching,
      @Valid Pipeline pipeline) {

    static final VersionMetadata EMPTY = new VersionMetadata(null, null, null, null, null, null);

    VersionMetadata withWarmup(JsonNode samples) {
      return new VersionMetadata(description, tags, signature, samples, batching, pipeline);
    }

    VersionMetadata withBatching(BatchingPolicy policy) {
      return new VersionMetadata(description, tags, signature, warmup, policy, pipeline);
    }

    VersionMetadata withPipeline(Pipeline steps) {
      return new VersionMetadata(description, tags, signature, warmup, batching, steps);
    }
  }

  /**
   * Points an alias at a version.
   *
   * @param version the version number
   */
  /**
   * @param version the version the alias is to point at
   * @param force point it there even though its validation load failed (also {@code ?force=true})
   */
  record MoveAlias(@NotNull @Positive Integer version, Boolean force) {}
}
