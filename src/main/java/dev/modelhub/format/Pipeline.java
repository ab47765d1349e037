package dev.modelhub.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.ArrayList;
import java.util.List;

/**
 * The pre- and post-processing that belong to a version, so that clients send images or rows and
 * get labels (as KServe transformers, Triton's classification extension and TF Serving's {@code
 * :classify} do). Promoting a version promotes its pipeline with it; requests that send ready
 * tensors skip it.
 *
 * @param input the model input pre-processing fills (the model's only input when absent)
 * @param output the model output post-processing reads (the model's first output when absent)
 * @param preprocess image steps ({@code decode}, then {@code resize}/{@code centerCrop}, then
 *     {@code scale}/{@code normalize}, then {@code layout}/{@code datatype}), or one {@code
 *     columns} step for tabular rows; empty when requests send tensors
 * @param postprocess {@code softmax} or {@code sigmoid}, then {@code threshold}, then {@code topK}
 * @param labels one name per class, in the order of the output's last dimension
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Pipeline(
    @Size(min = 1, max = 256) String input,
    @Size(min = 1, max = 256) String output,
    @io.swagger.v3.oas.annotations.media.ArraySchema(
            schema = @io.swagger.v3.oas.annotations.media.Schema(implementation = Step.class))
        @Size(max = 16)
        List<@NotNull @Valid Step> preprocess,
    @io.swagger.v3.oas.annotations.media.ArraySchema(
            schema = @io.swagger.v3.oas.annotations.media.Schema(implementation = Step.class))
        @Size(max = 8)
        List<@NotNull @Valid Step> postprocess,
    @Size(max = MAX_LABELS)
        List<@NotNull @Size(max = 256) @Pattern(regexp = "^[^\\n\\r]*$") String> labels) {

  /** Most labels a version may carry (more classes than any common classifier has). */
  public static final int MAX_LABELS = 100_000;

  /** Most classes one classification or top-k answer may return. */
  public static final int MAX_TOP_K = 1000;

  public Pipeline {
    preprocess = preprocess == null ? List.of() : List.copyOf(preprocess);
    postprocess = postprocess == null ? List.of() : List.copyOf(postprocess);
    labels = labels == null ? List.of() : List.copyOf(labels);
  }

  /** Whether requests with images or rows can use it. */
  public boolean preprocesses() {
    return !preprocess.isEmpty();
  }

  /** The columns step of a tabular pipeline, or null for images. */
  public Columns columns() {
    return preprocess.size() == 1 && preprocess.get(0) instanceof Columns c ? c : null;
  }

  /** The same pipeline with {@code labels} in place of its own. */
  public Pipeline withLabels(List<String> newLabels) {
    return new Pipeline(input, output, preprocess, postprocess, newLabels);
  }

  /** One step; its JSON {@code type} names it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Decode.class, name = "decode"),
    @JsonSubTypes.Type(value = Resize.class, name = "resize"),
    @JsonSubTypes.Type(value = CenterCrop.class, name = "centerCrop"),
    @JsonSubTypes.Type(value = Scale.class, name = "scale"),
    @JsonSubTypes.Type(value = Normalize.class, name = "normalize"),
    @JsonSubTypes.Type(value = Layout.class, name = "layout"),
    @JsonSubTypes.Type(value = Cast.class, name = "datatype"),
    @JsonSubTypes.Type(value = Columns.class, name = "columns"),
    @JsonSubTypes.Type(value = Softmax.class, name = "softmax"),
    @JsonSubTypes.Type(value = Sigmoid.class, name = "sigmoid"),
    @JsonSubTypes.Type(value = Threshold.class, name = "threshold"),
    @JsonSubTypes.Type(value = TopK.class, name = "topK")
  })
  @io.swagger.v3.oas.annotations.media.Schema(
      discriminatorProperty = "type",
      discriminatorMapping = {
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "decode",
            schema = Decode.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "resize",
            schema = Resize.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "centerCrop",
            schema = CenterCrop.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "scale",
            schema = Scale.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "normalize",
            schema = Normalize.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "layout",
            schema = Layout.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "datatype",
            schema = Cast.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "columns",
            schema = Columns.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "softmax",
            schema = Softmax.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "sigmoid",
            schema = Sigmoid.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "threshold",
            schema = Threshold.class),
        @io.swagger.v3.oas.annotations.media.DiscriminatorMapping(
            value = "topK",
            schema = TopK.class)
      })
  public sealed interface Step {
    /** The step's name as requests and errors spell it. */
    String type();
  }

  /** Colour the decoded image is converted to. */
  public enum Color {
    /** One channel, ITU-R 601-2 luma (L = 0.299 R + 0.587 G + 0.114 B), as PIL's "L". */
    grayscale,
    /** Three channels; alpha is dropped. */
    rgb;

    public int channels() {
      return this == grayscale ? 1 : 3;
    }
  }

  /** How resizing samples the source. */
  public enum Interpolation {
    nearest,
    bilinear,
    bicubic
  }

  /** How the image is laid out in the tensor (N is the batch of images). */
  public enum TensorLayout {
    NCHW,
    NHWC,
    /** N × (C·H·W): channels first, then rows, flattened, for models that take a vector. */
    flat
  }

  /**
   * Decodes an encoded image (PNG, JPEG or GIF, with the JDK's ImageIO).
   *
   * @param color the colour it is converted to
   * @param maxPixels most pixels (width × height) accepted, checked from the image's header before
   *     it is decoded; at most {@code modelhub.pipeline.max-image-pixels}
   */
  public record Decode(@NotNull Color color, @Min(1) Long maxPixels) implements Step {
    @Override
    public String type() {
      return "decode";
    }
  }

  /**
   * Resizes: to {@code width} × {@code height}, or so that the shorter side is {@code shorterSide}
   * (keeping the aspect ratio).
   */
  public record Resize(
      @Min(1) @Max(16384) Integer width,
      @Min(1) @Max(16384) Integer height,
      @Min(1) @Max(16384) Integer shorterSide,
      Interpolation interpolation)
      implements Step {
    public Resize {
      interpolation = interpolation == null ? Interpolation.bilinear : interpolation;
    }

    @Override
    public String type() {
      return "resize";
    }

    public boolean exact() {
      return shorterSide == null;
    }
  }

  /** Cuts the centre {@code width} × {@code height} out (an image smaller than that is a 400). */
  public record CenterCrop(
      @NotNull @Min(1) @Max(16384) Integer width, @NotNull @Min(1) @Max(16384) Integer height)
      implements Step {
    @Override
    public String type() {
      return "centerCrop";
    }
  }

  /** Maps pixel values 0–255 linearly onto [{@code min}, {@code max}] (default [0, 1]). */
  public record Scale(Double min, Double max) implements Step {
    public Scale {
      min = min == null ? 0.0 : min;
      max = max == null ? 1.0 : max;
    }

    @Override
    public String type() {
      return "scale";
    }
  }

  /** (value − mean) / std per channel (one number applies to every channel). */
  public record Normalize(
      @NotNull @Size(min = 1, max = 4) List<@NotNull Double> mean,
      @NotNull @Size(min = 1, max = 4) List<@NotNull Double> std)
      implements Step {
    @Override
    public String type() {
      return "normalize";
    }
  }

  /** The tensor layout (default NCHW). */
  public record Layout(@NotNull TensorLayout layout) implements Step {
    @Override
    public String type() {
      return "layout";
    }
  }

  /** The tensor's datatype (default: the model input's). */
  public record Cast(@NotNull Datatype datatype) implements Step {
    @Override
    public String type() {
      return "datatype";
    }
  }

  /**
   * Tabular rows: each row is an object of named columns, mapped in this order onto the input's
   * last dimension.
   */
  public record Columns(@NotNull @Size(min = 1, max = 4096) List<@NotNull @Valid Column> columns)
      implements Step {
    @Override
    public String type() {
      return "columns";
    }
  }

  /**
   * One column: {@code (value − mean) / std}; a row without it takes {@code defaultValue} (and one
   * without a default must have it).
   */
  public record Column(
      @NotBlank @Size(max = 256) String name,
      Double defaultValue,
      Double mean,
      @DecimalMin(value = "0", inclusive = false) Double std) {
    public Column {
      mean = mean == null ? 0.0 : mean;
      std = std == null ? 1.0 : std;
    }
  }

  /** Softmax over the output's last dimension. */
  public record Softmax() implements Step {
    @Override
    public String type() {
      return "softmax";
    }
  }

  /** The logistic function on every score. */
  public record Sigmoid() implements Step {
    @Override
    public String type() {
      return "sigmoid";
    }
  }

  /** Drops the classes scoring below {@code min}. */
  public record Threshold(@NotNull Double min) implements Step {
    @Override
    public String type() {
      return "threshold";
    }
  }

  /** Keeps the {@code k} best classes (1 is argmax). */
  public record TopK(@NotNull @Min(1) @Max(MAX_TOP_K) Integer k) implements Step {
    @Override
    public String type() {
      return "topK";
    }
  }

  /** A step's place as errors name it: {@code preprocess[2] (resize)}. */
  public static String where(String list, int index, Step step) {
    return list + "[" + index + "] (" + step.type() + ")";
  }

  /** The steps of {@code list} of type {@code kind}. */
  public static <T extends Step> List<T> steps(List<Step> list, Class<T> kind) {
    List<T> found = new ArrayList<>();
    for (Step step : list) {
      if (kind.isInstance(step)) {
        found.add(kind.cast(step));
      }
    }
    return found;
  }
}
