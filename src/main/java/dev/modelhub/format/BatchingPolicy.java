package dev.modelhub.format;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.time.Duration;
import java.util.List;

/**
 * Dynamic batching of a version, as Triton's {@code dynamic_batching}: requests that arrive within
 * {@code maxQueueDelayMicros} of the first one waiting are stacked along their first dimension into
 * one engine call of at most {@code maxBatchSize} rows, and the answer is split back. A batch is
 * sent as soon as it reaches one of {@code preferredBatchSizes} (or {@code maxBatchSize}); a
 * request never waits longer than the delay. Only for versions whose every input and output has a
 * dynamic first dimension.
 *
 * @param maxBatchSize most rows in one engine call
 * @param maxQueueDelayMicros longest a request waits for others to join its batch (µs)
 * @param preferredBatchSizes row counts at which a batch is sent at once
 */
public record BatchingPolicy(
    @NotNull @Min(2) @Max(4096) Integer maxBatchSize,
    @NotNull @Min(0) @Max(1_000_000) Long maxQueueDelayMicros,
    @Size(max = 16) List<@NotNull @Min(1) @Max(4096) Integer> preferredBatchSizes) {

  public BatchingPolicy {
    preferredBatchSizes =
        preferredBatchSizes == null
            ? List.of()
            : preferredBatchSizes.stream().filter(java.util.Objects::nonNull).sorted().toList();
  }

  /** Preferred sizes fit in a batch. */
  @AssertTrue(message = "preferredBatchSizes must each be at most maxBatchSize")
  boolean isPreferredWithinMax() {
    return maxBatchSize == null || preferredBatchSizes.stream().allMatch(s -> s <= maxBatchSize);
  }

  /** The delay as a duration. */
  public Duration maxQueueDelay() {
    return Duration.ofNanos(maxQueueDelayMicros * 1000);
  }

  /**
   * Why {@code signature} cannot be batched (an input or output without a dynamic first dimension),
   * or null when it can.
   */
  public static String unbatchable(ModelSignature signature) {
    if (signature.inputs().isEmpty()) {
      return "it has no inputs";
    }
    for (List<TensorSpec> specs : List.of(signature.inputs(), signature.outputs())) {
      for (TensorSpec spec : specs) {
        List<Long> shape = spec.shape();
        if (shape == null || shape.isEmpty() || shape.get(0) >= 0) {
          return "'"
              + spec.name()
              + "' has shape "
              + (shape == null ? "unknown" : shape)
              + ", and batching needs a dynamic first dimension (-1) on every input and output";
        }
      }
    }
    return null;
  }
}
