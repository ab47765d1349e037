package dev.modelhub.serving.internal;

import dev.modelhub.format.Pipeline;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.Tensor;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns tabular rows (objects of named numbers) into the tensor a model takes, as a version's
 * {@code columns} step says: each column in its order, missing ones at their default, each as
 * {@code (value − mean) / std}. A name the step does not list is refused, so a typo is not silently
 * a default.
 */
public final class RowSteps {

  private RowSteps() {}

  /**
   * The tensor for {@code rows}; a value is a number (a one-element list is taken as its number, as
   * TF Serving's examples send features).
   *
   * @throws dev.modelhub.common.InvalidRequestException a row lacks a column, has one the pipeline
   *     does not know, or a value that is not a number (400)
   */
  public static Tensor tensor(
      Pipeline.Columns step, TensorSpec input, List<Map<String, Object>> rows, long maxElements) {
    if (rows.isEmpty()) {
      throw ServingExceptions.invalidInput("The request holds no row.");
    }
    List<Pipeline.Column> columns = step.columns();
    long elements = (long) rows.size() * columns.size();
    if (elements > maxElements) {
      throw ServingExceptions.invalidInput(
          "The rows make "
              + elements
              + " elements, more than "
              + maxElements
              + " (modelhub.serving.max-tensor-elements).");
    }
    double[] values = new double[(int) elements];
    Set<String> known = new HashSet<>();
    columns.forEach(c -> known.add(c.name()));
    for (int r = 0; r < rows.size(); r++) {
      Map<String, Object> row = rows.get(r);
      for (String name : row.keySet()) {
        if (!known.contains(name)) {
          throw ServingExceptions.invalidInput(
              "Row "
                  + r
                  + " has '"
                  + name
                  + "', which is not a column of this model's pipeline; its columns are "
                  + columns.stream().map(Pipeline.Column::name).toList()
                  + ".");
        }
      }
      for (int c = 0; c < columns.size(); c++) {
        Pipeline.Column column = columns.get(c);
        double value = value(row.get(column.name()), column, r);
        values[r * columns.size() + c] = (value - column.mean()) / column.std();
      }
    }
    return new Tensor(
        input.name(),
        input.datatype(),
        new long[] {rows.size(), columns.size()},
        ImageSteps.typed(values, input.datatype()));
  }

  private static double value(Object given, Pipeline.Column column, int row) {
    if (given instanceof List<?> list && list.size() == 1) {
      given = list.get(0);
    }
    if (given == null) {
      if (column.defaultValue() == null) {
        throw ServingExceptions.invalidInput(
            "Row " + row + " has no '" + column.name() + "', and the column has no default.");
      }
      return column.defaultValue();
    }
    if (given instanceof Number number && Double.isFinite(number.doubleValue())) {
      return number.doubleValue();
    }
    throw ServingExceptions.invalidInput(
        "Row " + row + " has '" + column.name() + "' = " + given + "; it must be a finite number.");
  }
}
