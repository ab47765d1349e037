package dev.modelhub.optimize;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.util.List;

/**
 * A pass's parameters, one record per pass, checked by Bean Validation when the job is submitted:
 * an unknown name, a wrong type or a value out of range is a 400 that says what is allowed, never a
 * job that fails later. Missing values take the defaults the records fill in; a job shows its
 * parameters with them. Every pass also takes:
 *
 * <ul>
 *   <li>{@code exclude}: node names or op types to leave alone;
 *   <li>{@code dataset}: the name or id of the dataset to evaluate on (without one, inputs are
 *       generated from the signature and only agreement is reported);
 *   <li>{@code maxAccuracyDrop}: the largest accuracy drop to accept (needs a labelled dataset);
 *       int8 passes then search for the least conservative setting within it.
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface PassParameters {

  List<String> exclude();

  String dataset();

  Double maxAccuracyDrop();

  /**
   * quantize-int8-dynamic.
   *
   * @param perChannel one scale per output channel instead of one per tensor (default false)
   */
  record QuantizeDynamic(
      Boolean perChannel,
      List<@NotBlank String> exclude,
      String dataset,
      @DecimalMin("0") @DecimalMax("1") Double maxAccuracyDrop)
      implements PassParameters {
    public QuantizeDynamic {
      perChannel = perChannel != null && perChannel;
      exclude = exclude == null ? List.of() : List.copyOf(exclude);
    }
  }

  /**
   * quantize-int8-weights.
   *
   * @param perChannel one scale per output channel (default true; needs opset 13)
   * @param minElements weights with fewer elements stay float (default 1024)
   */
  record QuantizeWeights(
      Boolean perChannel,
      @Min(1) Integer minElements,
      List<@NotBlank String> exclude,
      String dataset,
      @DecimalMin("0") @DecimalMax("1") Double maxAccuracyDrop)
      implements PassParameters {
    public QuantizeWeights {
      perChannel = perChannel == null || perChannel;
      minElements = minElements == null ? 1024 : minElements;
      exclude = exclude == null ? List.of() : List.copyOf(exclude);
    }
  }

  /**
   * convert-fp16.
   *
   * @param blockList op types computed in fp32 between Casts (default: reductions, Softmax, Exp,
   *     Log, Pow, the normalizations, Range, Resize)
   */
  record ConvertFp16(
      List<@NotBlank String> blockList,
      List<@NotBlank String> exclude,
      String dataset,
      @DecimalMin("0") @DecimalMax("1") Double maxAccuracyDrop)
      implements PassParameters {
    /** Ops that overflow or lose precision in fp16. */
    public static final List<String> DEFAULT_BLOCK_LIST =
        List.of(
            "Softmax",
            "LogSoftmax",
            "ReduceSum",
            "ReduceMean",
            "ReduceProd",
            "ReduceLogSumExp",
            "ReduceSumSquare",
            "ReduceL1",
            "ReduceL2",
            "CumSum",
            "Exp",
            "Log",
            "Pow",
            "LayerNormalization",
            "BatchNormalization",
            "InstanceNormalization",
            "Range",
            "Resize");

    public ConvertFp16 {
      blockList = blockList == null ? DEFAULT_BLOCK_LIST : List.copyOf(blockList);
      exclude = exclude == null ? List.of() : List.copyOf(exclude);
    }
  }

  /**
   * prune-magnitude.
   *
   * @param sparsity the share of weights to zero, above 0 and at most 0.99 (default 0.5)
   * @param scope {@code global} (one threshold for all weights, the default) or {@code layer}
   */
  record PruneMagnitude(
      @DecimalMin(value = "0", inclusive = false) @DecimalMax("0.99") Double sparsity,
      PruneScope scope,
      List<@NotBlank String> exclude,
      String dataset,
      @DecimalMin("0") @DecimalMax("1") Double maxAccuracyDrop)
      implements PassParameters {
    public PruneMagnitude {
      sparsity = sparsity == null ? 0.5 : sparsity;
      scope = scope == null ? PruneScope.GLOBAL : scope;
      exclude = exclude == null ? List.of() : List.copyOf(exclude);
    }
  }

  /**
   * low-rank: give {@code rankRatio} or {@code energy}, not both (default rankRatio 0.25).
   *
   * @param rankRatio the kept rank as a share of the full rank, above 0 and at most 1
   * @param energy the share of the squared singular values to keep, above 0 and at most 1
   * @param minElements weights with fewer elements are not factored (default 4096)
   */
  record LowRank(
      @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double rankRatio,
      @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double energy,
      @Min(1) Integer minElements,
      List<@NotBlank String> exclude,
      String dataset,
      @DecimalMin("0") @DecimalMax("1") Double maxAccuracyDrop)
      implements PassParameters {
    public LowRank {
      rankRatio = rankRatio == null && energy == null ? Double.valueOf(0.25) : rankRatio;
      minElements = minElements == null ? 4096 : minElements;
      exclude = exclude == null ? List.of() : List.copyOf(exclude);
    }

    @JsonIgnore
    @AssertTrue(message = "give either 'rankRatio' or 'energy', not both")
    public boolean isOneRankRule() {
      return rankRatio == null || energy == null;
    }
  }
}
