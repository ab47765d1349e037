package dev.modelhub.serving.internal;

import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a request against the model's signature before any engine sees it, so every mistake is a
 * 400 that names the input and what was expected.
 */
final class InputValidator {

  private InputValidator() {}

  /** The inputs in signature order, checked. */
  static List<Tensor> check(ModelSignature signature, List<Tensor> inputs) {
    Map<String, Tensor> byName = new HashMap<>();
    for (Tensor input : inputs) {
      if (signature.inputs().stream().noneMatch(s -> s.name().equals(input.name()))) {
        throw ServingExceptions.invalidInput(
            "Unknown input '"
                + input.name()
                + "'; the model's inputs are "
                + describe(signature.inputs())
                + ".");
      }
      if (byName.put(input.name(), input) != null) {
        throw ServingExceptions.invalidInput("Input '" + input.name() + "' is given twice.");
      }
    }
    List<Tensor> ordered = new ArrayList<>();
    for (TensorSpec spec : signature.inputs()) {
      Tensor input = byName.get(spec.name());
      if (input == null) {
        throw ServingExceptions.invalidInput(
            "Missing input '" + spec.name() + "' (" + describe(spec) + ").");
      }
      checkOne(spec, input);
      ordered.add(input);
    }
    return ordered;
  }

  /** Checks requested output names. */
  static void checkOutputs(ModelSignature signature, List<String> outputs) {
    for (String name : outputs) {
      if (signature.outputs().stream().noneMatch(s -> s.name().equals(name))) {
        throw ServingExceptions.invalidInput(
            "Unknown output '"
                + name
                + "'; the model's outputs are "
                + describe(signature.outputs())
                + ".");
      }
    }
  }

  private static void checkOne(TensorSpec spec, Tensor input) {
    String name = "Input '" + spec.name() + "'";
    if (spec.datatype() != input.datatype()) {
      throw ServingExceptions.invalidInput(
          name
              + " has datatype "
              + input.datatype()
              + "; the model expects "
              + spec.datatype()
              + ".");
    }
    long[] shape = input.shape();
    for (long dim : shape) {
      if (dim < 0) {
        throw ServingExceptions.invalidInput(
            name + " has shape " + Arrays.toString(shape) + "; dimensions must be ≥ 0.");
      }
    }
    List<Long> expected = spec.shape();
    if (expected != null) {
      boolean fits = expected.size() == shape.length;
      for (int i = 0; fits && i < shape.length; i++) {
        fits = expected.get(i) < 0 || expected.get(i) == shape[i];
      }
      if (!fits) {
        throw ServingExceptions.invalidInput(
            name
                + " has shape "
                + Arrays.toString(shape)
                + "; the model expects "
                + expected
                + " (-1: any size).");
      }
    }
    long needed;
    try {
      needed = input.elementCount();
    } catch (ArithmeticException e) {
      throw ServingExceptions.invalidInput(name + " has a shape too large to hold.");
    }
    int given = input.data().length();
    if (needed != given) {
      throw ServingExceptions.invalidInput(
          name
              + " has "
              + given
              + " elements but shape "
              + Arrays.toString(shape)
              + " needs "
              + needed
              + ".");
    }
  }

  private static String describe(List<TensorSpec> specs) {
    return specs.stream().map(s -> s.name()).toList().toString();
  }

  private static String describe(TensorSpec spec) {
    return spec.datatype() + " " + spec.shape();
  }
}
