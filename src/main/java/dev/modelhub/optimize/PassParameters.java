package dev.modelhub.optimize;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
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

  /**
   * An unmodifiable copy that keeps null elements, so that Bean Validation names them ("must not be
   * null") rather than the copy failing first.
   */
  static <T> List<T> copyOf(List<T> list) {
    return java.util.Collections.unmodifiableList(new java.util.ArrayList<>(list));
  }

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
      exclude = exclude == null ? List.of() : copyOf(exclude);
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
      exclude = exclude == null ? List.of() : copyOf(exclude);
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
      blockList = blockList == null ? DEFAULT_BLOCK_LIST : copyOf(blockList);
      exclude = exclude == null ? List.of() : copyOf(exclude);
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
      exclude = exclude == null ? List.of() : copyOf(exclude);
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
      exclude = exclude == null ? List.of() : copyOf(exclude);
    }

    @JsonIgnore
    @AssertTrue(message = "give either 'rankRatio' or 'energy', not both")
    public boolean isOneRankRule() {
      return rankRatio == null || energy == null;
    }
  }

  /**
   * distill: trains a smaller student network to imitate the version (the teacher) on a transfer
   * set, and registers it as an ONNX variant. Loss: T²·KL(teacher‖student at temperature T)·alpha +
   * cross-entropy on labels·(1 − alpha) (labels when the dataset has them; soft targets only
   * otherwise). Adam, mini-batches in a seeded order, early stopping on a held-out slice.
   *
   * @param student the student network (required)
   * @param dataset the transfer set: a dataset of the model (required)
   * @param evaluationDataset a dataset to evaluate the student on (default: the held-out slice)
   * @param temperature softens both distributions, above 0 (default 4)
   * @param alpha weight of the soft-target term, 0 to 1 (default 0.7)
   * @param epochs most passes over the transfer set, 1 to 10000 (default 60)
   * @param batchSize samples per step, 1 to 65536 (default 32)
   * @param learningRate Adam's step size, above 0 and at most 1 (default 0.01)
   * @param patience epochs without a better held-out agreement before stopping (default 10)
   * @param heldOut the share of the transfer set held out for early stopping, 0.01 to 0.5 (default
   *     0.1)
   * @param augment extra shifted and noisy copies of each sample (default none)
   * @param seed fixes initialization, order and augmentation: a run is repeatable (default 42)
   * @param studentParameters the student's parameter count, computed at submit (a value sent is
   *     replaced)
   * @param teacherParameters the teacher's parameter count (or, when the registry has none, its
   *     size in float32 elements), filled in at submit
   */
  record Distill(
      @NotNull(message = "is required: {\"type\": \"mlp\", \"hidden\": [64]}, cnn or auto") @Valid
          Student student,
      String dataset,
      String evaluationDataset,
      @DecimalMin(value = "0", inclusive = false) @DecimalMax("100") Double temperature,
      @DecimalMin("0") @DecimalMax("1") Double alpha,
      @Min(1) @Max(10000) Integer epochs,
      @Min(1) @Max(65536) Integer batchSize,
      @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double learningRate,
      @Min(1) @Max(10000) Integer patience,
      @DecimalMin("0.01") @DecimalMax("0.5") Double heldOut,
      @Valid Augmentation augment,
      Long seed,
      Long studentParameters,
      Long teacherParameters,
      List<@NotBlank String> exclude,
      @DecimalMin("0") @DecimalMax("1") Double maxAccuracyDrop)
      implements PassParameters {
    public Distill {
      temperature = temperature == null ? 4.0 : temperature;
      alpha = alpha == null ? 0.7 : alpha;
      epochs = epochs == null ? 60 : epochs;
      batchSize = batchSize == null ? 32 : batchSize;
      learningRate = learningRate == null ? 0.01 : learningRate;
      patience = patience == null ? 10 : patience;
      heldOut = heldOut == null ? 0.1 : heldOut;
      seed = seed == null ? 42L : seed;
      exclude = exclude == null ? List.of() : copyOf(exclude);
    }

    @JsonIgnore
    @AssertTrue(message = "'exclude' does not apply to distill: the student is a new network")
    public boolean isNothingExcluded() {
      return exclude.isEmpty();
    }

    /** The same parameters with the computed counts and the resolved student. */
    public Distill resolved(Student resolvedStudent, long studentCount, long teacherCount) {
      return new Distill(
          resolvedStudent,
          dataset,
          evaluationDataset,
          temperature,
          alpha,
          epochs,
          batchSize,
          learningRate,
          patience,
          heldOut,
          augment,
          seed,
          studentCount,
          teacherCount,
          exclude,
          maxAccuracyDrop);
    }
  }

  /**
   * A distillation student.
   *
   * @param type {@code mlp} (dense layers), {@code cnn} (convolutions then a dense layer, for
   *     image-shaped inputs) or {@code auto} (an MLP sized to {@code parameterRatio} of the
   *     teacher; its {@code hidden} is filled in at submit)
   * @param hidden widths of the hidden dense layers (mlp, cnn after the convolutions; default [64]
   *     for mlp, none for cnn)
   * @param channels output channels of each convolution, each followed by Relu and a 2×2 max pool
   *     while the image is at least 2×2 (cnn; default [8, 16])
   * @param kernel the convolutions' odd kernel size (cnn; default 3)
   * @param parameterRatio the student's size as a share of the teacher's (auto; default 0.25)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Student(
      @NotNull(message = "is required: mlp, cnn or auto") StudentType type,
      @Size(max = 16) List<@NotNull @Min(1) @Max(65536) Integer> hidden,
      @Size(min = 1, max = 8) List<@NotNull @Min(1) @Max(4096) Integer> channels,
      @Min(1) @Max(15) Integer kernel,
      @DecimalMin(value = "0", inclusive = false) @DecimalMax(value = "1", inclusive = false)
          Double parameterRatio) {
    public Student {
      if (type == StudentType.MLP && hidden == null) {
        hidden = List.of(64);
      }
      if (type == StudentType.CNN) {
        channels = channels == null ? List.of(8, 16) : channels;
        kernel = kernel == null ? 3 : kernel;
        hidden = hidden == null ? List.of() : hidden;
      }
      if (type == StudentType.AUTO && parameterRatio == null) {
        parameterRatio = 0.25;
      }
      hidden = hidden == null ? null : copyOf(hidden);
      channels = channels == null ? null : copyOf(channels);
    }

    @JsonIgnore
    @AssertTrue(message = "'student.kernel' must be odd (the convolutions keep the image's size)")
    public boolean isKernelOdd() {
      return kernel == null || kernel % 2 == 1;
    }

    @JsonIgnore
    @AssertTrue(message = "'student.channels' and 'student.kernel' are for type cnn only")
    public boolean isConvolutionForCnn() {
      return type == StudentType.CNN || (channels == null && kernel == null);
    }

    @JsonIgnore
    @AssertTrue(message = "'student.parameterRatio' is for type auto only")
    public boolean isRatioForAuto() {
      return type == StudentType.AUTO || parameterRatio == null;
    }
  }

  /**
   * Augmentation of the transfer set: each sample gets {@code copies} more, each with Gaussian
   * noise and, for image-shaped inputs, a random shift; the teacher labels the copies too.
   *
   * @param copies extra copies of each sample, 1 to 16
   * @param maxShift largest shift in pixels along each image axis, 0 to 8 (default 1)
   * @param noise standard deviation of the noise added, 0 to 1 (default 0.05)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Augmentation(
      @NotNull @Min(1) @Max(16) Integer copies,
      @Min(0) @Max(8) Integer maxShift,
      @DecimalMin("0") @DecimalMax("1") Double noise) {
    public Augmentation {
      maxShift = maxShift == null ? 1 : maxShift;
      noise = noise == null ? 0.05 : noise;
    }
  }
}
