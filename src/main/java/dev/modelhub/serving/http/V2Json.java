package dev.modelhub.serving.http;

import dev.modelhub.format.Datatype;
import dev.modelhub.serving.InferenceResult;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.core.json.JsonWriteFeature;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads and writes Open Inference Protocol v2 bodies with Jackson's streaming API: tensor data goes
 * straight into primitive arrays, with no tree of nodes per element.
 */
public final class V2Json {

  /** A parsed infer request. */
  public record Request(String id, List<Tensor> inputs, List<String> outputs) {}

  /** Most dimensions one tensor may have (ONNX allows more; no served model needs them). */
  static final int MAX_RANK = 32;

  /** Most inputs one request may have. */
  static final int MAX_INPUTS = 1024;

  private final ObjectMapper json;
  private final long maxElements;

  /**
   * @param maxElements most elements one input may hold; shapes, and the numbers read for one
   *     input, are refused past it before anything larger is allocated
   */
  public V2Json(ObjectMapper json, long maxElements) {
    this.json = json;
    this.maxElements = maxElements;
  }

  public Request read(InputStream body) {
    try (JsonParser p =
        json.reader().with(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw malformed("the body must be a JSON object");
      }
      String id = null;
      List<Tensor> inputs = null;
      List<String> outputs = new ArrayList<>();
      while (p.nextToken() == JsonToken.PROPERTY_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "id" -> id = value == JsonToken.VALUE_NULL ? null : p.getValueAsString();
          case "inputs" -> inputs = readInputs(p);
          case "outputs" -> outputs = readOutputNames(p);
          default -> p.skipChildren();
        }
      }
      if (inputs == null) {
        throw malformed("the request has no \"inputs\"");
      }
      return new Request(id, inputs, outputs);
    } catch (JacksonException e) {
      throw malformed("it is not valid JSON (" + e.getOriginalMessage() + ")");
    }
  }

  private List<Tensor> readInputs(JsonParser p) {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw malformed("\"inputs\" must be an array");
    }
    List<Tensor> inputs = new ArrayList<>();
    long elements = 0;
    while (p.nextToken() == JsonToken.START_OBJECT) {
      if (inputs.size() == MAX_INPUTS) {
        throw ServingExceptions.invalidInput(
            "The request has more than " + MAX_INPUTS + " inputs.");
      }
      Tensor input = readTensor(p, maxElements - elements);
      elements += input.data().length();
      inputs.add(input);
    }
    return inputs;
  }

  /**
   * Reads one input whose data may hold at most {@code budget} numbers (what is left of the
   * request's).
   */
  private Tensor readTensor(JsonParser p, long budget) {
    String name = null;
    String datatype = null;
    long[] shape = null;
    NumberBuffer data = null;
    while (p.nextToken() == JsonToken.PROPERTY_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "name" -> name = p.getValueAsString();
        case "datatype" -> datatype = p.getValueAsString();
        case "shape" -> shape = readShape(p, name);
        case "data" -> {
          data = new NumberBuffer(budget);
          readData(p, data);
        }
        default -> p.skipChildren();
      }
    }
    if (name == null || name.isBlank()) {
      throw ServingExceptions.invalidInput("Every input needs a \"name\".");
    }
    if (datatype == null) {
      throw ServingExceptions.invalidInput("Input '" + name + "' has no \"datatype\".");
    }
    if (shape == null) {
      throw ServingExceptions.invalidInput("Input '" + name + "' has no \"shape\".");
    }
    if (data == null) {
      throw ServingExceptions.invalidInput("Input '" + name + "' has no \"data\".");
    }
    Datatype type = Datatype.openInference(datatype).orElse(null);
    if (type == null) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' has unknown datatype '"
              + datatype
              + "'; datatypes are "
              + Datatype.openInferenceTypes()
              + ".");
    }
    return new Tensor(name, type, shape, data.toData(name, type));
  }

  /**
   * Reads a shape: at most {@link #MAX_RANK} non-negative integers whose product (and, for a shape
   * with a zero in it, the product of the others) is at most {@code maxElements}, so that no shape,
   * not even an empty one with enormous dimensions, can make the server allocate for it.
   */
  private long[] readShape(JsonParser p, String name) {
    String what = "The \"shape\" of input '" + name + "'";
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw ServingExceptions.invalidInput(what + " must be an array of integers.");
    }
    List<Long> dims = new ArrayList<>();
    long product = 1;
    JsonToken token;
    while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
      if (token != JsonToken.VALUE_NUMBER_INT
          || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        throw ServingExceptions.invalidInput(what + " must be an array of integers.");
      }
      long dim = p.getLongValue();
      if (dim < 0) {
        throw ServingExceptions.invalidInput(what + " has " + dim + "; dimensions must be ≥ 0.");
      }
      if (dims.size() == MAX_RANK) {
        throw ServingExceptions.invalidInput(what + " has more than " + MAX_RANK + " dimensions.");
      }
      if (dim > 0 && product > maxElements / dim) {
        throw ServingExceptions.invalidInput(
            what
                + " describes more than "
                + maxElements
                + " elements (modelhub.serving.max-tensor-elements).");
      }
      product *= Math.max(dim, 1);
      dims.add(dim);
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  /** Flattens nested arrays of numbers or booleans in row-major order. */
  private static void readData(JsonParser p, NumberBuffer into) {
    JsonToken token = p.currentToken();
    switch (token) {
      case START_ARRAY -> {
        while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
          if (token == null) {
            throw malformed("it ends inside a \"data\" array");
          }
          readData(p, into);
        }
      }
      case VALUE_NUMBER_INT -> {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          addBigInteger(p.getBigIntegerValue(), into);
        } else {
          into.addLong(p.getLongValue());
        }
      }
      case VALUE_NUMBER_FLOAT -> into.addDouble(p.getDoubleValue());
      case VALUE_TRUE -> into.addBoolean(true);
      case VALUE_FALSE -> into.addBoolean(false);
      case VALUE_STRING -> into.addString(p.getString());
      case START_OBJECT -> {
        p.skipChildren();
        into.reject("objects where numbers belong");
      }
      default -> into.reject(token + " where numbers belong");
    }
  }

  /** A whole number past a long: UINT64's upper half as its bits, else refused. */
  static void addBigInteger(BigInteger value, NumberBuffer into) {
    if (value.signum() > 0 && value.bitLength() <= 64) {
      into.addUnsignedHuge(value.longValue());
    } else {
      into.reject(value + ", too large for any datatype");
    }
  }

  private static List<String> readOutputNames(JsonParser p) {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw malformed("\"outputs\" must be an array");
    }
    List<String> names = new ArrayList<>();
    while (p.nextToken() == JsonToken.START_OBJECT) {
      String name = null;
      while (p.nextToken() == JsonToken.PROPERTY_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (field.equals("name")) {
          name = p.getValueAsString();
        } else {
          p.skipChildren();
        }
      }
      if (name == null) {
        throw ServingExceptions.invalidInput("Every requested output needs a \"name\".");
      }
      names.add(name);
    }
    return names;
  }

  byte[] write(InferenceResult result, String id) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (JsonGenerator g = generator(json, bytes)) {
      g.writeStartObject();
      g.writeStringProperty("model_name", result.model());
      g.writeStringProperty("model_version", Integer.toString(result.version()));
      if (id != null) {
        g.writeStringProperty("id", id);
      }
      g.writeName("outputs");
      g.writeStartArray();
      for (Tensor output : result.outputs()) {
        g.writeStartObject();
        g.writeStringProperty("name", output.name());
        g.writeStringProperty("datatype", output.datatype().name());
        g.writeName("shape");
        g.writeArray(output.shape(), 0, output.shape().length);
        g.writeName("data");
        writeData(g, output);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    return bytes.toByteArray();
  }

  /**
   * A generator that writes NaN and ±Infinity as the bare words Python's json module, NumPy-based
   * clients and TF Serving use ({@code NaN}, {@code Infinity}, {@code -Infinity}), as they are
   * read.
   */
  static JsonGenerator generator(ObjectMapper json, OutputStream out) {
    return json.writer().without(JsonWriteFeature.WRITE_NAN_AS_STRINGS).createGenerator(out);
  }

  /** Writes a tensor's elements as a flat array (FP32 and FP16 as floats, so 0.1 stays 0.1). */
  static void writeData(JsonGenerator g, Tensor tensor) {
    g.writeStartArray();
    TensorData data = tensor.data();
    if (data instanceof TensorData.Reals reals) {
      boolean single = tensor.datatype() != Datatype.FP64;
      for (double v : reals.values()) {
        if (single) {
          g.writeNumber((float) v);
        } else {
          g.writeNumber(v);
        }
      }
    } else if (data instanceof TensorData.Integers integers) {
      boolean unsigned = tensor.datatype() == Datatype.UINT64;
      for (long v : integers.values()) {
        writeInteger(g, v, unsigned);
      }
    } else if (data instanceof TensorData.Booleans booleans) {
      for (boolean v : booleans.values()) {
        g.writeBoolean(v);
      }
    } else if (data instanceof TensorData.Strings strings) {
      for (String v : strings.values()) {
        g.writeString(v);
      }
    }
    g.writeEndArray();
  }

  /** A whole number; a UINT64 element's bits read as unsigned. */
  static void writeInteger(JsonGenerator g, long v, boolean unsigned) {
    if (unsigned && v < 0) {
      g.writeNumber(new BigInteger(Long.toUnsignedString(v)));
    } else {
      g.writeNumber(v);
    }
  }

  static RuntimeException malformed(String why) {
    return ServingExceptions.invalidInput("The request body is malformed: " + why + ".");
  }
}
