package dev.modelhub.format;

import dev.modelhub.format.Pipeline.CenterCrop;
import dev.modelhub.format.Pipeline.Columns;
import dev.modelhub.format.Pipeline.Decode;
import dev.modelhub.format.Pipeline.Layout;
import dev.modelhub.format.Pipeline.Resize;
import dev.modelhub.format.Pipeline.Step;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a {@link Pipeline} against the signature of the version it belongs to, so that a pipeline
 * that cannot produce what the model takes, or read what it answers, is refused when it is set,
 * naming the step, and never fails on a request.
 */
public final class PipelineCheck {

  /** Where each step may stand: a step never comes before one of a lower rank. */
  private static final Map<String, Integer> PRE_RANK =
      Map.of(
          "decode", 0,
          "resize", 1,
          "centerCrop", 1,
          "scale", 2,
          "normalize", 2,
          "layout", 3,
          "datatype", 3);

  private static final Map<String, Integer> POST_RANK =
      Map.of("softmax", 0, "sigmoid", 0, "threshold", 1, "topK", 2);

  /** Steps that may appear more than once. */
  private static final Set<String> REPEATABLE = Set.of("resize", "centerCrop");

  /** Most characters all labels of a pipeline may hold together. */
  static final long MAX_LABEL_CHARACTERS = 1 << 20;

  private PipelineCheck() {}

  /** Datatypes a pre-processed tensor can take. */
  static final Set<Datatype> NUMERIC =
      Set.of(
          Datatype.FP16,
          Datatype.FP32,
          Datatype.FP64,
          Datatype.INT8,
          Datatype.INT16,
          Datatype.INT32,
          Datatype.INT64,
          Datatype.UINT8,
          Datatype.UINT16,
          Datatype.UINT32);

  /**
   * What is wrong with {@code pipeline} for a model of {@code signature}, or null when nothing is.
   *
   * @param maxImagePixels the node-wide bound a decode step's {@code maxPixels} may not exceed
   */
  public static String problem(Pipeline pipeline, ModelSignature signature, long maxImagePixels) {
    String pre = pre(pipeline, signature, maxImagePixels);
    return pre != null ? pre : post(pipeline, signature);
  }

  /** The model input the pipeline fills: the one it names, else the model's only input. */
  public static TensorSpec input(Pipeline pipeline, ModelSignature signature) {
    if (pipeline.input() != null) {
      return find(signature.inputs(), pipeline.input());
    }
    return signature.inputs().size() == 1 ? signature.inputs().get(0) : null;
  }

  /** The model output post-processing reads: the one it names, else the model's first output. */
  public static TensorSpec output(Pipeline pipeline, ModelSignature signature) {
    if (pipeline.output() != null) {
      return find(signature.outputs(), pipeline.output());
    }
    return signature.outputs().isEmpty() ? null : signature.outputs().get(0);
  }

  private static String pre(Pipeline pipeline, ModelSignature signature, long maxImagePixels) {
    if (pipeline.input() != null && find(signature.inputs(), pipeline.input()) == null) {
      return "input '"
          + pipeline.input()
          + "' is not an input of the model; its inputs are "
          + names(signature.inputs());
    }
    List<Step> steps = pipeline.preprocess();
    if (steps.isEmpty()) {
      return null;
    }
    if (signature.inputs().size() != 1) {
      return "preprocess fills one input, and the model takes "
          + names(signature.inputs())
          + "; a pipeline can only pre-process for a model with a single input";
    }
    TensorSpec input = input(pipeline, signature);
    if (!NUMERIC.contains(input.datatype())) {
      return "preprocess produces numbers, and input '"
          + input.name()
          + "' takes "
          + input.datatype();
    }
    if (steps.get(0) instanceof Columns columns) {
      return steps.size() > 1
          ? Pipeline.where("preprocess", 1, steps.get(1))
              + " cannot follow a columns step; a tabular pipeline has that one step"
          : columns(columns, input);
    }
    if (!(steps.get(0) instanceof Decode decode)) {
      return Pipeline.where("preprocess", 0, steps.get(0))
          + " comes first, and an image pipeline starts with a decode step";
    }
    if (decode.maxPixels() != null && decode.maxPixels() > maxImagePixels) {
      return Pipeline.where("preprocess", 0, decode)
          + " accepts "
          + decode.maxPixels()
          + " pixels, more than this platform's "
          + maxImagePixels
          + " (modelhub.pipeline.max-image-pixels)";
    }
    String order = order("preprocess", steps, PRE_RANK);
    if (order != null) {
      return order;
    }
    int channels = decode.color().channels();
    // Height and width as the steps leave them (-1: they vary with the image), and who set them.
    long height = -1;
    long width = -1;
    long shorter = -1;
    String sizedBy = Pipeline.where("preprocess", 0, decode) + ", with no resize or centerCrop,";
    Pipeline.TensorLayout layout = Pipeline.TensorLayout.NCHW;
    String laidOutBy = "preprocess (NCHW when no layout step says otherwise)";
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      String where = Pipeline.where("preprocess", i, step);
      if (step instanceof Columns) {
        return where + " is for tabular rows and cannot follow a decode step";
      }
      if (step instanceof Resize resize) {
        String resizeProblem = resize(resize, where, maxImagePixels);
        if (resizeProblem != null) {
          return resizeProblem;
        }
        height = resize.exact() ? resize.height() : -1;
        width = resize.exact() ? resize.width() : -1;
        shorter = resize.exact() ? -1 : resize.shorterSide();
        sizedBy = where;
      } else if (step instanceof CenterCrop crop) {
        if (shorter >= 0 && Math.min(crop.width(), crop.height()) > shorter) {
          return where
              + " cuts "
              + crop.width()
              + "×"
              + crop.height()
              + " out of images whose shorter side "
              + sizedBy
              + " makes "
              + shorter
              + "; every request would fail";
        }
        if ((height >= 0 && crop.height() > height) || (width >= 0 && crop.width() > width)) {
          return where
              + " cuts "
              + crop.width()
              + "×"
              + crop.height()
              + " out of the "
              + width
              + "×"
              + height
              + " that "
              + sizedBy
              + " leaves; every request would fail";
        }
        height = crop.height();
        width = crop.width();
        shorter = -1;
        sizedBy = where;
      } else if (step instanceof Pipeline.Normalize normalize) {
        if (!fits(normalize.mean().size(), channels) || !fits(normalize.std().size(), channels)) {
          return where
              + " has "
              + normalize.mean().size()
              + " means and "
              + normalize.std().size()
              + " stds for "
              + channels
              + " channel(s) ("
              + decode.color()
              + "); give one number, or one per channel";
        }
        if (normalize.std().stream().anyMatch(s -> !(s > 0) || s.isInfinite())) {
          return where + " has a std that is not a positive number";
        }
        if (normalize.mean().stream().anyMatch(m -> !Double.isFinite(m))) {
          return where + " has a mean that is not a finite number";
        }
      } else if (step instanceof Pipeline.Scale scale) {
        if (!Double.isFinite(scale.min()) || !Double.isFinite(scale.max())) {
          return where + " needs finite min and max";
        }
      } else if (step instanceof Layout l) {
        layout = l.layout();
        laidOutBy = where;
      } else if (step instanceof Pipeline.Cast cast && cast.datatype() != input.datatype()) {
        return where
            + " makes "
            + cast.datatype()
            + ", and input '"
            + input.name()
            + "' takes "
            + input.datatype();
      } else if (POST_RANK.containsKey(step.type())) {
        return where + " is a post-processing step; it belongs in postprocess";
      }
    }
    long h = height;
    long w = width;
    long c = channels;
    List<Long> produced =
        switch (layout) {
          case NCHW -> List.of(-1L, c, h, w);
          case NHWC -> List.of(-1L, h, w, c);
          case flat -> List.of(-1L, h < 0 || w < 0 ? -1 : c * h * w);
        };
    List<String> what =
        switch (layout) {
          case NCHW -> List.of("batch", "channels", "height", "width");
          case NHWC -> List.of("batch", "height", "width", "channels");
          case flat -> List.of("batch", "channels × height × width");
        };
    List<Long> wanted = input.shape();
    if (wanted == null) {
      return null;
    }
    if (wanted.size() != produced.size()) {
      return laidOutBy
          + " makes a tensor of rank "
          + produced.size()
          + " "
          + what
          + ", and input '"
          + input.name()
          + "' has shape "
          + wanted;
    }
    if (wanted.get(0) > 1) {
      return "input '"
          + input.name()
          + "' has a fixed batch of "
          + wanted.get(0)
          + " ("
          + wanted
          + "); a pipeline sends one image per row, so it needs a dynamic (-1) or 1 first dimension";
    }
    for (int d = 1; d < wanted.size(); d++) {
      long need = wanted.get(d);
      long got = produced.get(d);
      if (need < 0 || need == got) {
        continue;
      }
      String dimension = what.get(d);
      String culprit =
          dimension.equals("channels") ? Pipeline.where("preprocess", 0, decode) : sizedBy;
      return culprit
          + " leaves "
          + dimension
          + " "
          + (got < 0 ? "varying with the image" : "at " + got)
          + ", and input '"
          + input.name()
          + "' needs "
          + need
          + " (shape "
          + wanted
          + ")"
          + (got < 0 ? "; add an exact resize or a centerCrop" : "");
    }
    return null;
  }

  private static String resize(Resize resize, String where, long maxImagePixels) {
    if (resize.exact()
        && resize.width() != null
        && resize.height() != null
        && (long) resize.width() * resize.height() > maxImagePixels) {
      return where
          + " makes "
          + resize.width()
          + "×"
          + resize.height()
          + " images, more pixels than this platform's "
          + maxImagePixels
          + " (modelhub.pipeline.max-image-pixels)";
    }
    boolean exact = resize.width() != null || resize.height() != null;
    if (exact && resize.shorterSide() != null) {
      return where + " has both width/height and shorterSide; give one or the other";
    }
    if (exact && (resize.width() == null || resize.height() == null)) {
      return where + " needs both width and height (or shorterSide alone)";
    }
    if (!exact && resize.shorterSide() == null) {
      return where + " needs width and height, or shorterSide";
    }
    return null;
  }

  private static String columns(Columns columns, TensorSpec input) {
    Set<String> seen = new HashSet<>();
    for (Pipeline.Column column : columns.columns()) {
      if (!seen.add(column.name())) {
        return "preprocess[0] (columns) names column '" + column.name() + "' twice";
      }
      if ((column.defaultValue() != null && !Double.isFinite(column.defaultValue()))
          || !Double.isFinite(column.mean())
          || !Double.isFinite(column.std())) {
        return "preprocess[0] (columns) column '"
            + column.name()
            + "' has a default, mean or std that is not a finite number";
      }
    }
    List<Long> shape = input.shape();
    if (shape == null) {
      return null;
    }
    long n = columns.columns().size();
    if (shape.size() != 2 || (shape.get(1) >= 0 && shape.get(1) != n) || shape.get(0) > 1) {
      return "preprocess[0] (columns) makes rows of "
          + n
          + " values (shape [-1, "
          + n
          + "]), and input '"
          + input.name()
          + "' has shape "
          + shape;
    }
    return null;
  }

  private static String post(Pipeline pipeline, ModelSignature signature) {
    if (pipeline.output() != null && find(signature.outputs(), pipeline.output()) == null) {
      return "output '"
          + pipeline.output()
          + "' is not an output of the model; its outputs are "
          + names(signature.outputs());
    }
    List<Step> steps = pipeline.postprocess();
    for (int i = 0; i < steps.size(); i++) {
      if (!POST_RANK.containsKey(steps.get(i).type())) {
        return Pipeline.where("postprocess", i, steps.get(i))
            + " is a pre-processing step; it belongs in preprocess";
      }
    }
    String order = order("postprocess", steps, POST_RANK);
    if (order != null) {
      return order;
    }
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i) instanceof Pipeline.Threshold threshold
          && !Double.isFinite(threshold.min())) {
        return Pipeline.where("postprocess", i, threshold) + " needs a finite min";
      }
    }
    long characters = pipeline.labels().stream().mapToLong(String::length).sum();
    if (characters > MAX_LABEL_CHARACTERS) {
      return "labels hold "
          + characters
          + " characters, more than "
          + MAX_LABEL_CHARACTERS
          + " (they travel with every listing of the version)";
    }
    if (steps.isEmpty() && pipeline.labels().isEmpty()) {
      return null;
    }
    TensorSpec output = output(pipeline, signature);
    if (output == null) {
      return "postprocess reads an output, and the model has none";
    }
    if (!NUMERIC.contains(output.datatype()) && output.datatype() != Datatype.BF16) {
      return "postprocess reads scores, and output '"
          + output.name()
          + "' holds "
          + output.datatype();
    }
    List<Long> shape = output.shape();
    if (shape == null || shape.isEmpty()) {
      return shape == null
          ? null
          : "postprocess reads classes along the last dimension, and output '"
              + output.name()
              + "' is a scalar";
    }
    long classes = shape.get(shape.size() - 1);
    if (!pipeline.labels().isEmpty() && classes >= 0 && classes != pipeline.labels().size()) {
      return "labels has "
          + pipeline.labels().size()
          + " names, and output '"
          + output.name()
          + "' has "
          + classes
          + " classes (shape "
          + shape
          + ")";
    }
    return null;
  }

  /** Steps out of order, or repeated where they may appear once. */
  private static String order(String list, List<Step> steps, Map<String, Integer> ranks) {
    Set<String> seen = new HashSet<>();
    int rank = -1;
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      Integer own = ranks.get(step.type());
      if (own == null) {
        continue;
      }
      if (!REPEATABLE.contains(step.type()) && !seen.add(step.type())) {
        return Pipeline.where(list, i, step) + " appears twice";
      }
      if (own == 0 && list.equals("postprocess") && rank == 0) {
        return Pipeline.where(list, i, step) + " follows another activation; use one";
      }
      if (own < rank) {
        return Pipeline.where(list, i, step)
            + " comes after a step it must precede; the order is "
            + (list.equals("preprocess")
                ? "decode, resize/centerCrop, scale/normalize, layout/datatype"
                : "softmax or sigmoid, threshold, topK");
      }
      rank = own;
    }
    return null;
  }

  private static boolean fits(int given, int channels) {
    return given == 1 || given == channels;
  }

  private static TensorSpec find(List<TensorSpec> specs, String name) {
    return specs.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
  }

  private static List<String> names(List<TensorSpec> specs) {
    List<String> names = new ArrayList<>();
    specs.forEach(s -> names.add(s.name()));
    return names;
  }
}
