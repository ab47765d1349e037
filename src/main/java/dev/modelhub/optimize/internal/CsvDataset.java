package dev.modelhub.optimize.internal;

import dev.modelhub.common.UnprocessableException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A dataset as CSV: a header row, numeric input columns and an optional integer {@code label}
 * column. For a model with one input, a row's input columns, in order, are that input for one
 * sample, reshaped to the input's shape without its batch dimension.
 *
 * @param columns the input column names
 * @param rows each row's input values
 * @param labels each row's label, or null without a label column
 */
public record CsvDataset(List<String> columns, float[][] rows, int[] labels) {

  public static final String LABEL = "label";

  public static CsvDataset parse(InputStream in, int maxRows) {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String header = reader.readLine();
      if (header == null || header.isBlank()) {
        throw invalid("The CSV is empty; it needs a header row.");
      }
      List<String> names = Arrays.stream(header.split(",", -1)).map(String::strip).toList();
      int label = names.indexOf(LABEL);
      List<String> columns = new ArrayList<>(names);
      if (label >= 0) {
        columns.remove(label);
      }
      if (columns.isEmpty()) {
        throw invalid("The CSV has no input columns.");
      }
      List<float[]> rows = new ArrayList<>();
      List<Integer> labels = new ArrayList<>();
      String line;
      int lineNumber = 1;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        if (rows.size() >= maxRows) {
          throw invalid(
              "The CSV has more than " + maxRows + " rows (modelhub.jobs.max-dataset-rows).");
        }
        String[] cells = line.split(",", -1);
        if (cells.length != names.size()) {
          throw invalid(
              "Line "
                  + lineNumber
                  + " has "
                  + cells.length
                  + " cells; the header has "
                  + names.size()
                  + ".");
        }
        float[] row = new float[columns.size()];
        int j = 0;
        for (int i = 0; i < cells.length; i++) {
          String cell = cells[i].strip();
          try {
            if (i == label) {
              labels.add(Integer.parseInt(cell));
            } else {
              row[j++] = Float.parseFloat(cell);
            }
          } catch (NumberFormatException e) {
            throw invalid(
                "Line "
                    + lineNumber
                    + ", column '"
                    + names.get(i)
                    + "': '"
                    + cell
                    + "' is not "
                    + (i == label ? "an integer label" : "a number")
                    + ".");
          }
        }
        rows.add(row);
      }
      if (rows.isEmpty()) {
        throw invalid("The CSV has a header but no rows.");
      }
      int[] labelArray = label < 0 ? null : labels.stream().mapToInt(Integer::intValue).toArray();
      return new CsvDataset(List.copyOf(columns), rows.toArray(new float[0][]), labelArray);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Refuses a dataset that does not fit the model's single input. */
  public void checkFits(ModelSignature signature) {
    if (signature.inputs().size() != 1) {
      throw invalid(
          "Datasets are supported for models with one input; this one has "
              + signature.inputs().size()
              + ".");
    }
    TensorSpec input = signature.inputs().get(0);
    if (input.datatype() != Datatype.FP32) {
      throw invalid(
          "The model's input '"
              + input.name()
              + "' is "
              + input.datatype()
              + "; datasets feed FP32 inputs.");
    }
    long needed = EvaluationData.count(EvaluationData.sampleShape(input));
    if (needed != columns.size()) {
      throw invalid(
          "The dataset has "
              + columns.size()
              + " input columns but one sample of input '"
              + input.name()
              + "' "
              + input.shape()
              + " needs "
              + needed
              + ".");
    }
  }

  /** The rows as evaluation data for {@code signature} (after {@link #checkFits}). */
  public EvaluationData toEvaluationData(ModelSignature signature, String name) {
    checkFits(signature);
    TensorSpec input = signature.inputs().get(0);
    List<float[][]> samples = new ArrayList<>(rows.length);
    for (float[] row : rows) {
      samples.add(new float[][] {row});
    }
    return new EvaluationData(
        samples,
        List.of(EvaluationData.sampleShape(input)),
        List.of(input.name()),
        labels,
        "dataset:" + name);
  }

  private static UnprocessableException invalid(String detail) {
    return new UnprocessableException("invalid-dataset", "Invalid dataset", detail);
  }
}
