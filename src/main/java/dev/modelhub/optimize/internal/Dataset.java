package dev.modelhub.optimize.internal;

import dev.modelhub.common.UnprocessableException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.optimize.DatasetFormat;
import dev.modelhub.optimize.DatasetInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A dataset read into memory: its input columns (a CSV has one, with no name, that feeds the
 * model's only input; an .npz has one per array, named like the input it feeds) and its labels.
 *
 * @param format how it was written
 * @param columns the inputs, samples along the first dimension
 * @param labels each sample's label, or null
 * @param rows the number of samples
 */
public record Dataset(DatasetFormat format, List<InputColumn> columns, int[] labels, int rows) {

  /** The label column's (or array's) name. */
  public static final String LABEL = "label";

  /** What it feeds, as stored with it. */
  public List<DatasetInput> inputs() {
    return columns.stream()
        .map(
            c ->
                new DatasetInput(
                    c.name(), c.datatype(), Arrays.stream(c.sampleShape()).boxed().toList()))
        .toList();
  }

  /** Its samples feeding {@code signature}'s inputs (after {@link #checkFits}). */
  public EvaluationData toEvaluationData(ModelSignature signature, String name) {
    checkFits(format, inputs(), signature);
    List<InputColumn> feeds = new ArrayList<>();
    if (format == DatasetFormat.CSV) {
      TensorSpec input = signature.inputs().get(0);
      feeds.add(columns.get(0).as(input.name(), EvaluationData.sampleShape(input)));
    } else {
      Map<String, InputColumn> byName =
          columns.stream().collect(Collectors.toMap(InputColumn::name, Function.identity()));
      for (TensorSpec input : signature.inputs()) {
        feeds.add(byName.get(input.name()));
      }
    }
    return new EvaluationData(feeds, labels, "dataset:" + name, rows);
  }

  /**
   * Refuses (422) a dataset whose inputs do not fit {@code signature}: a CSV feeds a model with one
   * FP32 input as many values as one sample of it holds; an .npz has one array per model input, of
   * its datatype and sample shape, and no array that feeds nothing.
   */
  public static void checkFits(
      DatasetFormat format, List<DatasetInput> inputs, ModelSignature signature) {
    if (format == DatasetFormat.CSV) {
      checkCsvFits(inputs.get(0), signature);
      return;
    }
    Set<String> wanted = new TreeSet<>();
    for (TensorSpec input : signature.inputs()) {
      wanted.add(input.name());
      DatasetInput array =
          inputs.stream()
              .filter(i -> input.name().equals(i.name()))
              .findFirst()
              .orElseThrow(
                  () ->
                      invalid(
                          "The dataset has no array named '"
                              + input.name()
                              + "' for the model's input of that name; its arrays are "
                              + names(inputs)
                              + "."));
      if (array.datatype() != input.datatype()) {
        throw invalid(
            "Array '"
                + input.name()
                + "' is "
                + array.datatype()
                + "; the model's input is "
                + input.datatype()
                + ".");
      }
      if (!fits(input.shape(), array.sampleShape())) {
        throw invalid(
            "Array '"
                + input.name()
                + "' has samples of shape "
                + array.sampleShape()
                + "; the model's input is "
                + input.shape()
                + " (the first dimension is the batch; -1: any size).");
      }
    }
    for (DatasetInput array : inputs) {
      if (!wanted.contains(array.name())) {
        throw invalid(
            "Array '"
                + array.name()
                + "' feeds no input of the model; its inputs are "
                + wanted
                + " (and labels go in 'label').");
      }
    }
  }

  private static void checkCsvFits(DatasetInput columns, ModelSignature signature) {
    if (signature.inputs().size() != 1) {
      throw invalid(
          "A CSV dataset feeds models with one input; this one has "
              + signature.inputs().size()
              + " (use an .npz with one array per input).");
    }
    TensorSpec input = signature.inputs().get(0);
    if (input.datatype() != Datatype.FP32) {
      throw invalid(
          "The model's input '"
              + input.name()
              + "' is "
              + input.datatype()
              + "; CSV datasets feed FP32 inputs (use an .npz for other types).");
    }
    long needed = EvaluationData.count(EvaluationData.sampleShape(input));
    long given = columns.sampleShape().get(0);
    if (needed != given) {
      throw invalid(
          "The dataset has "
              + given
              + " input columns but one sample of input '"
              + input.name()
              + "' "
              + input.shape()
              + " needs "
              + needed
              + ".");
    }
  }

  /** Whether samples of {@code sample} shape fit an input of {@code spec} (batch first). */
  private static boolean fits(List<Long> spec, List<Long> sample) {
    if (spec == null) {
      return true;
    }
    if (spec.size() != sample.size() + 1) {
      return false;
    }
    for (int i = 0; i < sample.size(); i++) {
      long want = spec.get(i + 1);
      if (want >= 0 && want != sample.get(i)) {
        return false;
      }
    }
    return true;
  }

  private static List<String> names(List<DatasetInput> inputs) {
    return inputs.stream().map(DatasetInput::name).toList();
  }

  static UnprocessableException invalid(String detail) {
    return new UnprocessableException("invalid-dataset", "Invalid dataset", detail);
  }
}
