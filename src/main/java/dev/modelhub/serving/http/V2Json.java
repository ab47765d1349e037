package dev.modelhub.serving.http;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.Pipeline;
import dev.modelhub.serving.InferenceResult;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorBytes;
import dev.modelhub.serving.TensorData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.io.input.BoundedInputStream;
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

  /**
   * A parsed infer request.
   *
   * @param outputs the outputs asked for (all when empty)
   * @param binaryOutputs outputs to answer in binary form (the OIP binary-data extension)
   * @param allBinary whether every output is answered in binary form unless it says otherwise
   *     ({@code "parameters": {"binary_data_output": true}} on the request)
   * @param textOutputs outputs that asked for JSON ({@code "binary_data": false})
   * @param classification outputs answered as their best classes (Triton's classification
   *     extension, {@code "parameters": {"classification": k}}), with their k
   */
  public record Request(
      String id,
      List<Tensor> inputs,
      List<String> outputs,
      Set<String> binaryOutputs,
      boolean allBinary,
      Set<String> textOutputs,
      Map<String, Integer> classification) {

    Request(String id, List<Tensor> inputs, List<String> outputs) {
      this(id, inputs, outputs, Set.of(), false, Set.of(), Map.of());
    }

    /** Whether output {@code name} is answered in binary form. */
    public boolean binary(String name) {
      return binaryOutputs.contains(name) || (allBinary && !textOutputs.contains(name));
    }
  }

  /** The header that tells where the JSON part of a binary-extension body ends. */
  public static final String HEADER_LENGTH = "Inference-Header-Content-Length";

  /** An input read from JSON whose elements follow the JSON part, {@code size} bytes of them. */
  private record Pending(String name, Datatype datatype, long[] shape, long size) {}

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

  /** Reads a JSON body. */
  public Request read(InputStream body) {
    return read(body, -1);
  }

  /**
   * Reads a body; with {@code jsonLength} ≥ 0 (the {@value #HEADER_LENGTH} header), its first
   * {@code jsonLength} bytes are the JSON request and the rest the elements of the inputs that
   * declare a {@code binary_data_size}, in their order, each read straight into its own buffer.
   */
  public Request read(InputStream body, long jsonLength) {
    Parsed parsed;
    InputStream jsonPart;
    try {
      jsonPart =
          jsonLength < 0
              ? body
              : BoundedInputStream.builder()
                  .setInputStream(body)
                  .setMaxCount(jsonLength)
                  .setPropagateClose(false)
                  .get();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (JsonParser p =
        json.reader().with(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).createParser(jsonPart)) {
      parsed = readObject(p, jsonLength >= 0);
      if (jsonLength >= 0 && p.nextToken() != null) {
        throw malformed("its JSON part goes on past the request object");
      }
    } catch (JacksonException e) {
      throw malformed(
          "it is not valid JSON ("
              + e.getOriginalMessage()
              + ")"
              + (jsonLength >= 0 ? "; is " + HEADER_LENGTH + " the JSON part's length?" : ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (jsonLength < 0) {
      return parsed.request(List.of());
    }
    try {
      return parsed.request(readBinary(body, parsed.pending()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The JSON part of a request; inputs whose elements are binary still to read. */
  private record Parsed(
      String id,
      List<Object> inputs,
      List<String> outputs,
      Set<String> binaryOutputs,
      boolean allBinary,
      Set<String> textOutputs,
      Map<String, Integer> classification) {

    List<Pending> pending() {
      return inputs.stream().filter(Pending.class::isInstance).map(Pending.class::cast).toList();
    }

    Request request(List<Tensor> binary) {
      List<Tensor> tensors = new ArrayList<>(inputs.size());
      int next = 0;
      for (Object input : inputs) {
        tensors.add(input instanceof Tensor tensor ? tensor : binary.get(next++));
      }
      return new Request(
          id, tensors, outputs, binaryOutputs, allBinary, textOutputs, classification);
    }
  }

  private Parsed readObject(JsonParser p, boolean binaryAllowed) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw malformed("the body must be a JSON object");
    }
    String id = null;
    List<Object> inputs = null;
    List<String> outputs = new ArrayList<>();
    Set<String> binaryOutputs = new HashSet<>();
    Set<String> textOutputs = new HashSet<>();
    Map<String, Integer> classification = new HashMap<>();
    boolean allBinary = false;
    while (p.nextToken() == JsonToken.PROPERTY_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "id" -> id = value == JsonToken.VALUE_NULL ? null : p.getValueAsString();
        case "inputs" -> inputs = readInputs(p, binaryAllowed);
        case "outputs" -> outputs = readOutputs(p, binaryOutputs, textOutputs, classification);
        case "parameters" ->
            allBinary = Boolean.TRUE.equals(readParameters(p).get("binary_data_output"));
        default -> p.skipChildren();
      }
    }
    if (inputs == null) {
      throw malformed("the request has no \"inputs\"");
    }
    return new Parsed(id, inputs, outputs, binaryOutputs, allBinary, textOutputs, classification);
  }

  /** Reads the binary part: each pending input's bytes, then nothing more. */
  private List<Tensor> readBinary(InputStream body, List<Pending> pending) throws IOException {
    List<Tensor> tensors = new ArrayList<>(pending.size());
    for (Pending input : pending) {
      byte[] bytes = body.readNBytes((int) input.size());
      if (bytes.length < input.size()) {
        throw ServingExceptions.invalidInput(
            "The request body ends inside the binary data of input '"
                + input.name()
                + "': its binary_data_size is "
                + input.size()
                + " but only "
                + bytes.length
                + " bytes remain. Check "
                + HEADER_LENGTH
                + " and each binary_data_size.");
      }
      tensors.add(
          new Tensor(
              input.name(),
              input.datatype(),
              input.shape(),
              TensorBytes.read(input.name(), input.datatype(), input.shape(), bytes)));
    }
    if (body.read() >= 0) {
      throw ServingExceptions.invalidInput(
          "The request body goes on past the binary data its inputs declare (the sum of their"
              + " binary_data_size). Check "
              + HEADER_LENGTH
              + " and each binary_data_size.");
    }
    return tensors;
  }

  /** Inputs as tensors, or as {@link Pending} when their elements come in binary form. */
  private List<Object> readInputs(JsonParser p, boolean binaryAllowed) {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw malformed("\"inputs\" must be an array");
    }
    List<Object> inputs = new ArrayList<>();
    long elements = 0;
    while (p.nextToken() == JsonToken.START_OBJECT) {
      if (inputs.size() == MAX_INPUTS) {
        throw ServingExceptions.invalidInput(
            "The request has more than " + MAX_INPUTS + " inputs.");
      }
      Object input = readTensor(p, maxElements - elements, binaryAllowed);
      if (input instanceof Tensor tensor) {
        elements += tensor.data().length();
      } else {
        Pending binary = (Pending) input;
        elements += Tensor.elements(binary.shape());
        if (elements > maxElements) {
          throw ServingExceptions.invalidInput(
              "The request holds more than "
                  + maxElements
                  + " elements (modelhub.serving.max-tensor-elements).");
        }
      }
      inputs.add(input);
    }
    return inputs;
  }

  /** A parameters object's values: strings, numbers and booleans (anything else skipped). */
  private static Map<String, Object> readParameters(JsonParser p) {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return new HashMap<>(); // as absent, as generated clients send unset members
    }
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw malformed("\"parameters\" must be an object");
    }
    Map<String, Object> parameters = new HashMap<>();
    while (p.nextToken() == JsonToken.PROPERTY_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      switch (value) {
        case VALUE_TRUE -> parameters.put(name, true);
        case VALUE_FALSE -> parameters.put(name, false);
        case VALUE_NUMBER_INT ->
            parameters.put(
                name,
                p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? Long.MAX_VALUE
                    : p.getLongValue());
        case VALUE_NUMBER_FLOAT -> parameters.put(name, p.getDoubleValue());
        case VALUE_STRING -> parameters.put(name, p.getString());
        default -> p.skipChildren();
      }
    }
    return parameters;
  }

  /**
   * Reads one input whose data may hold at most {@code budget} numbers (what is left of the
   * request's).
   */
  private Object readTensor(JsonParser p, long budget, boolean binaryAllowed) {
    String name = null;
    String datatype = null;
    long[] shape = null;
    NumberBuffer data = null;
    Object binarySize = null;
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
        case "parameters" -> binarySize = readParameters(p).get("binary_data_size");
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
    if (binarySize != null && data != null) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' has both \"data\" and a binary_data_size; send its elements one way.");
    }
    if (binarySize == null && data == null) {
      throw ServingExceptions.invalidInput("Input '" + name + "' has no \"data\".");
    }
    Datatype type = ServingExceptions.datatype(name, datatype);
    if (binarySize == null) {
      return new Tensor(name, type, shape, data.toData(name, type));
    }
    if (!binaryAllowed) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' declares a binary_data_size, but the request has no "
              + HEADER_LENGTH
              + " header saying where its JSON part ends.");
    }
    if (!(binarySize instanceof Long size) || size < 0 || size > Integer.MAX_VALUE - 8) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' has binary_data_size "
              + binarySize
              + "; it must be the byte length of its elements.");
    }
    if (type != Datatype.BYTES) {
      // Fixed-width elements: the size is known from the shape, so a wrong one is refused unread.
      long expected = Tensor.elements(shape) * TensorBytes.width(type);
      if (size != expected) {
        throw ServingExceptions.invalidInput(
            "Input '"
                + name
                + "' has binary_data_size "
                + size
                + "; "
                + type
                + " with shape "
                + java.util.Arrays.toString(shape)
                + " takes "
                + expected
                + " bytes.");
      }
    }
    return new Pending(name, type, shape, size);
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

  private static List<String> readOutputs(
      JsonParser p,
      Set<String> binaryOutputs,
      Set<String> textOutputs,
      Map<String, Integer> classification) {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw malformed("\"outputs\" must be an array");
    }
    List<String> names = new ArrayList<>();
    while (p.nextToken() == JsonToken.START_OBJECT) {
      String name = null;
      Map<String, Object> parameters = Map.of();
      while (p.nextToken() == JsonToken.PROPERTY_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "name" -> name = p.getValueAsString();
          case "parameters" -> parameters = readParameters(p);
          default -> p.skipChildren();
        }
      }
      if (name == null) {
        throw ServingExceptions.invalidInput("Every requested output needs a \"name\".");
      }
      Object binary = parameters.get("binary_data");
      Object k = parameters.get("classification");
      if (k != null) {
        if (!(k instanceof Long classes) || classes < 1 || classes > Pipeline.MAX_TOP_K) {
          throw ServingExceptions.invalidInput(
              "Output '"
                  + name
                  + "' asks classification "
                  + k
                  + "; it must be a whole number of classes from 1 to "
                  + Pipeline.MAX_TOP_K
                  + ".");
        }
        classification.put(name, classes.intValue());
      }
      if (Boolean.TRUE.equals(binary)) {
        binaryOutputs.add(name);
      } else if (Boolean.FALSE.equals(binary)) {
        textOutputs.add(name);
      }
      names.add(name);
    }
    return names;
  }

  /** An answer: its JSON part, and the binary outputs' elements that follow it (if any). */
  record Answer(byte[] json, List<byte[]> binary) {
    boolean hasBinary() {
      return !binary.isEmpty();
    }
  }

  byte[] write(InferenceResult result, String id) {
    return answer(result, new Request(id, List.of(), List.of())).json();
  }

  /** Writes an answer, the outputs {@code request} asked for in binary form as binary. */
  Answer answer(InferenceResult result, Request request) {
    String id = request.id();
    List<byte[]> binary = new ArrayList<>();
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
        if (request.binary(output.name())) {
          byte[] elements = TensorBytes.write(output);
          binary.add(elements);
          g.writeName("parameters");
          g.writeStartObject();
          g.writeNumberProperty("binary_data_size", elements.length);
          g.writeEndObject();
        } else {
          g.writeName("data");
          writeData(g, output);
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    return new Answer(bytes.toByteArray(), binary);
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
    TensorData data = TensorBytes.numbers(tensor.datatype(), tensor.data());
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
