package dev.modelhub.serving.http;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.InferenceResult;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * TensorFlow Serving's REST predict format: "instances" (row format, one entry per example) or
 * "inputs" (columnar), answered with "predictions" or "outputs" shaped as TF Serving shapes them.
 * JSON carries no datatypes, so they come from the model's signature.
 */
final class TfServingJson {

  /** A parsed predict request. */
  record Request(boolean rowFormat, String signatureName, List<Tensor> inputs) {}

  private final ObjectMapper json;

  private final long maxElements;

  TfServingJson(ObjectMapper json, long maxElements) {
    this.maxElements = maxElements;
    this.json = json;
  }

  Request read(JsonNode body, ModelSignature signature) {
    if (body == null || !body.isObject()) {
      throw V2Json.malformed("the body must be a JSON object");
    }
    JsonNode signatureField = body.path("signature_name");
    if (!signatureField.isMissingNode() && !signatureField.isNull() && !signatureField.isString()) {
      throw ServingExceptions.invalidInput("\"signature_name\" must be a string.");
    }
    String signatureName = signatureField.isString() ? signatureField.asString() : null;
    JsonNode instances = body.get("instances");
    JsonNode inputs = body.get("inputs");
    if ((instances == null) == (inputs == null)) {
      throw ServingExceptions.invalidInput(
          "A predict request has exactly one of \"instances\" (row format) or \"inputs\""
              + " (columnar format).");
    }
    return instances != null
        ? new Request(true, signatureName, rows(instances, signature))
        : new Request(false, signatureName, columns(inputs, signature));
  }

  private List<Tensor> rows(JsonNode instances, ModelSignature signature) {
    if (!instances.isArray() || instances.isEmpty()) {
      throw ServingExceptions.invalidInput("\"instances\" must be a non-empty list of examples.");
    }
    boolean named = instances.get(0).isObject();
    if (!named && signature.inputs().size() != 1) {
      throw ServingExceptions.invalidInput(
          "The model has inputs "
              + names(signature.inputs())
              + ": each instance must be an"
              + " object naming them.");
    }
    Map<String, List<JsonNode>> perInput = new LinkedHashMap<>();
    for (JsonNode instance : instances) {
      if (instance.isObject() != named) {
        throw ServingExceptions.invalidInput("All instances must have the same form.");
      }
      if (named) {
        for (Map.Entry<String, JsonNode> field : instance.properties()) {
          perInput.computeIfAbsent(field.getKey(), k -> new ArrayList<>()).add(field.getValue());
        }
      } else {
        perInput
            .computeIfAbsent(signature.inputs().get(0).name(), k -> new ArrayList<>())
            .add(instance);
      }
    }
    List<Tensor> tensors = new ArrayList<>();
    for (Map.Entry<String, List<JsonNode>> input : perInput.entrySet()) {
      String name = input.getKey();
      if (input.getValue().size() != instances.size()) {
        throw ServingExceptions.invalidInput(
            "Input '" + name + "' is missing from some instances.");
      }
      long[] rowShape = shapeOf(input.getValue().get(0), name);
      NumberBuffer data = new NumberBuffer(maxElements);
      for (JsonNode row : input.getValue()) {
        if (!Arrays.equals(shapeOf(row, name), rowShape)) {
          throw ServingExceptions.invalidInput(
              "The instances of input '"
                  + name
                  + "' do not all have shape "
                  + Arrays.toString(rowShape)
                  + ".");
        }
        flatten(row, data, name);
      }
      long[] shape = new long[rowShape.length + 1];
      shape[0] = input.getValue().size();
      System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
      tensors.add(tensor(name, shape, data, signature));
    }
    return tensors;
  }

  private List<Tensor> columns(JsonNode inputs, ModelSignature signature) {
    boolean named =
        inputs.isObject()
            && signature.inputs().stream().anyMatch(s -> inputs.has(s.name()))
            && !(signature.inputs().size() == 1 && !inputs.has(signature.inputs().get(0).name()));
    Map<String, JsonNode> values = new LinkedHashMap<>();
    if (named) {
      for (Map.Entry<String, JsonNode> field : inputs.properties()) {
        values.put(field.getKey(), field.getValue());
      }
    } else {
      if (signature.inputs().size() != 1) {
        throw ServingExceptions.invalidInput(
            "The model has inputs "
                + names(signature.inputs())
                + ": \"inputs\" must be an"
                + " object naming them.");
      }
      values.put(signature.inputs().get(0).name(), inputs);
    }
    List<Tensor> tensors = new ArrayList<>();
    for (Map.Entry<String, JsonNode> value : values.entrySet()) {
      NumberBuffer data = new NumberBuffer(maxElements);
      long[] shape = shapeOf(value.getValue(), value.getKey());
      flatten(value.getValue(), data, value.getKey());
      tensors.add(tensor(value.getKey(), shape, data, signature));
    }
    return tensors;
  }

  private static Tensor tensor(
      String name, long[] shape, NumberBuffer data, ModelSignature signature) {
    TensorSpec spec =
        signature.inputs().stream()
            .filter(s -> s.name().equals(name))
            .findFirst()
            .orElseThrow(
                () ->
                    ServingExceptions.invalidInput(
                        "Unknown input '"
                            + name
                            + "'; the model's inputs are "
                            + names(signature.inputs())
                            + "."));
    return new Tensor(name, spec.datatype(), shape, data.toData(name, spec.datatype()));
  }

  /** The shape of a nested JSON array; ragged nesting is refused. */
  private static long[] shapeOf(JsonNode value, String name) {
    List<Long> dims = new ArrayList<>();
    JsonNode current = value;
    while (current.isArray()) {
      dims.add((long) current.size());
      if (current.isEmpty()) {
        break;
      }
      current = current.get(0);
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    checkRectangular(value, shape, 0, name);
    return shape;
  }

  private static void checkRectangular(JsonNode value, long[] shape, int depth, String name) {
    if (depth == shape.length) {
      if (value.isArray()) {
        throw ServingExceptions.invalidInput("Input '" + name + "' is nested unevenly.");
      }
      return;
    }
    if (!value.isArray() || value.size() != shape[depth]) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' is not rectangular: expected "
              + shape[depth]
              + " elements at"
              + " depth "
              + depth
              + ".");
    }
    for (JsonNode element : value) {
      checkRectangular(element, shape, depth + 1, name);
    }
  }

  private static void flatten(JsonNode value, NumberBuffer into, String name) {
    if (value.isArray()) {
      for (JsonNode element : value) {
        flatten(element, into, name);
      }
    } else if (value.isBoolean()) {
      into.addBoolean(value.booleanValue());
    } else if (value.isIntegralNumber() && value.canConvertToLong()) {
      into.addLong(value.longValue());
    } else if (value.isIntegralNumber()) {
      V2Json.addBigInteger(value.bigIntegerValue(), into);
    } else if (value.isNumber()) {
      into.addDouble(value.doubleValue());
    } else if (value.isString()) {
      into.addString(value.asString());
    } else if (value.isObject() && value.size() == 1 && value.path("b64").isString()) {
      into.addString(base64Text(value.get("b64"), name));
    } else {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' must hold numbers, booleans, strings or {\"b64\": …}, not "
              + value.getNodeType()
              + ".");
    }
  }

  /**
   * A {@code {"b64": …}} element: TF Serving's binary string, decoded. ONNX Runtime's string
   * tensors hold text, so the bytes must be UTF-8.
   */
  private static String base64Text(JsonNode encoded, String name) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(encoded.asString());
    } catch (IllegalArgumentException e) {
      throw ServingExceptions.invalidInput(
          "Input '" + name + "' holds a \"b64\" value that is not base64.");
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' holds \"b64\" bytes that are not UTF-8 text; the engines' string tensors hold"
              + " text only.");
    }
  }

  byte[] write(InferenceResult result, boolean rowFormat) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (JsonGenerator g = V2Json.generator(json, bytes)) {
      g.writeStartObject();
      List<Tensor> outputs = result.outputs();
      if (rowFormat) {
        g.writeName("predictions");
        g.writeStartArray();
        long batch =
            outputs.isEmpty() || outputs.get(0).shape().length == 0 ? 1 : outputs.get(0).shape()[0];
        for (int row = 0; row < batch; row++) {
          if (outputs.size() == 1) {
            writeRow(g, outputs.get(0), row);
          } else {
            g.writeStartObject();
            for (Tensor output : outputs) {
              g.writeName(output.name());
              writeRow(g, output, row);
            }
            g.writeEndObject();
          }
        }
        g.writeEndArray();
      } else {
        g.writeName("outputs");
        if (outputs.size() == 1) {
          writeNested(g, outputs.get(0), 0, 0);
        } else {
          g.writeStartObject();
          for (Tensor output : outputs) {
            g.writeName(output.name());
            writeNested(g, output, 0, 0);
          }
          g.writeEndObject();
        }
      }
      g.writeEndObject();
    }
    return bytes.toByteArray();
  }

  /** Writes example {@code row} of a batched output (its first dimension is the batch). */
  private static void writeRow(JsonGenerator g, Tensor tensor, int row) {
    if (tensor.shape().length == 0) {
      writeElement(g, tensor, 0);
      return;
    }
    long rowSize = Tensor.elements(Arrays.copyOfRange(tensor.shape(), 1, tensor.shape().length));
    writeNested(g, tensor, 1, row * rowSize);
  }

  private static void writeNested(JsonGenerator g, Tensor tensor, int depth, long offset) {
    long[] shape = tensor.shape();
    if (depth == shape.length) {
      writeElement(g, tensor, offset);
      return;
    }
    long stride = Tensor.elements(Arrays.copyOfRange(shape, depth + 1, shape.length));
    g.writeStartArray();
    for (long i = 0; i < shape[depth]; i++) {
      writeNested(g, tensor, depth + 1, offset + i * stride);
    }
    g.writeEndArray();
  }

  private static void writeElement(JsonGenerator g, Tensor tensor, long index) {
    int i = Math.toIntExact(index);
    TensorData data = tensor.data();
    if (data instanceof TensorData.Reals reals) {
      if (tensor.datatype() == Datatype.FP64) {
        g.writeNumber(reals.values()[i]);
      } else {
        g.writeNumber((float) reals.values()[i]);
      }
    } else if (data instanceof TensorData.Integers integers) {
      V2Json.writeInteger(g, integers.values()[i], tensor.datatype() == Datatype.UINT64);
    } else if (data instanceof TensorData.Booleans booleans) {
      g.writeBoolean(booleans.values()[i]);
    } else if (data instanceof TensorData.Strings strings) {
      g.writeString(strings.values()[i]);
    }
  }

  private static List<String> names(List<TensorSpec> specs) {
    return specs.stream().map(TensorSpec::name).toList();
  }
}
