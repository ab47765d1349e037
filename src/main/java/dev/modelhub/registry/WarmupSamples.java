package dev.modelhub.registry;

import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * Checks the warm-up samples of an upload against the version's signature: a v2 inference request
 * body naming every input once, each with a datatype, a shape and data. Serving nodes check the
 * values fully when they run them; a sample the engine refuses is logged and counted there, never
 * fatal.
 */
final class WarmupSamples {

  private WarmupSamples() {}

  static void check(JsonNode warmup, ModelSignature signature) {
    if (warmup == null || warmup.isNull()) {
      return;
    }
    JsonNode inputs = warmup.path("inputs");
    if (!warmup.isObject() || !inputs.isArray()) {
      throw invalid("it must be a v2 inference request body, {\"inputs\": [...]}");
    }
    Set<String> expected = new TreeSet<>();
    signature.inputs().stream().map(TensorSpec::name).forEach(expected::add);
    Set<String> given = new HashSet<>();
    for (JsonNode input : inputs) {
      String name = input.path("name").isString() ? input.path("name").asString() : null;
      if (name == null
          || !input.path("datatype").isString()
          || !input.path("shape").isArray()
          || input.path("data").isMissingNode()) {
        throw invalid("every input needs a \"name\", \"datatype\", \"shape\" and \"data\"");
      }
      if (!expected.contains(name)) {
        throw invalid("the model has no input '" + name + "'; its inputs are " + expected);
      }
      if (!given.add(name)) {
        throw invalid("input '" + name + "' is given twice");
      }
    }
    if (!given.containsAll(expected)) {
      Set<String> missing = new TreeSet<>(expected);
      missing.removeAll(given);
      throw invalid("inputs " + missing + " are missing");
    }
  }

  private static InvalidRequestException invalid(String why) {
    return new InvalidRequestException(
        "The metadata's \"warmup\" samples are invalid: " + why + ".");
  }
}
