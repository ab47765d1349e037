package dev.modelhub.web;

import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Two versions' signatures tensor by tensor.
 *
 * @param kind input or output
 * @param name the tensor's name
 * @param left the first version's type and shape, or null when it has no such tensor
 * @param right the second's
 * @param same whether both are the same
 */
record SignatureDiff(String kind, String name, String left, String right, boolean same) {

  static List<SignatureDiff> of(ModelSignature left, ModelSignature right) {
    List<SignatureDiff> rows = new ArrayList<>();
    add(
        rows,
        "input",
        left == null ? List.of() : left.inputs(),
        right == null ? List.of() : right.inputs());
    add(
        rows,
        "output",
        left == null ? List.of() : left.outputs(),
        right == null ? List.of() : right.outputs());
    return rows;
  }

  private static void add(
      List<SignatureDiff> rows, String kind, List<TensorSpec> left, List<TensorSpec> right) {
    Map<String, String[]> byName = new LinkedHashMap<>();
    left.forEach(t -> byName.computeIfAbsent(t.name(), k -> new String[2])[0] = describe(t));
    right.forEach(t -> byName.computeIfAbsent(t.name(), k -> new String[2])[1] = describe(t));
    byName.forEach(
        (name, pair) ->
            rows.add(
                new SignatureDiff(
                    kind, name, pair[0], pair[1], pair[0] != null && pair[0].equals(pair[1]))));
  }

  private static String describe(TensorSpec tensor) {
    return tensor.datatype() + " " + (tensor.shape() == null ? "[?]" : tensor.shape().toString());
  }
}
