package dev.modelhub.format.internal;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import com.google.protobuf.WireFormat;
import dev.modelhub.onnx.OperatorSetIdProto;
import dev.modelhub.onnx.StringStringEntryProto;
import dev.modelhub.onnx.ValueInfoProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads what inspection needs from an ONNX {@code ModelProto} in one pass over a stream, skipping
 * tensor data instead of loading it: heap use is bounded by the largest name or value-info, not by
 * the model's size. Small sub-messages are parsed with the generated classes.
 */
final class OnnxReader {

  /** Longest string (names, producer) accepted before the file is deemed corrupt. */
  private static final int MAX_STRING = 1 << 20;

  /** Longest small sub-message (value info, opset, external-data entry) accepted. */
  private static final int MAX_SMALL_MESSAGE = 16 << 20;

  private static final int TENSOR_DATA_LOCATION_EXTERNAL = 1;

  /** Where an initializer keeps its bytes outside the model file. */
  record ExternalRef(String tensor, String location, long offset, long length) {}

  /** What was read. */
  record Summary(
      long irVersion,
      Map<String, Long> opsets,
      String producerName,
      String producerVersion,
      String graphName,
      List<ValueInfoProto> inputs,
      List<ValueInfoProto> outputs,
      Set<String> initializerNames,
      long parameterCount,
      int nodeCount,
      Map<String, Integer> opTypes,
      List<ExternalRef> externalRefs) {}

  private final CodedInputStream in;
  private final ExtensionRegistryLite registry = ExtensionRegistryLite.getEmptyRegistry();

  private long irVersion;
  private final Map<String, Long> opsets = new TreeMap<>();
  private String producerName = "";
  private String producerVersion = "";
  private String graphName = "";
  private boolean sawGraph;
  private final List<ValueInfoProto> inputs = new ArrayList<>();
  private final List<ValueInfoProto> outputs = new ArrayList<>();
  private final Set<String> initializerNames = new HashSet<>();
  private long parameterCount;
  private int nodeCount;
  private final Map<String, Integer> opTypes = new TreeMap<>();
  private final List<ExternalRef> externalRefs = new ArrayList<>();

  private OnnxReader(InputStream stream) {
    this.in = CodedInputStream.newInstance(stream, 1 << 16);
    this.in.setSizeLimit(Integer.MAX_VALUE);
  }

  /**
   * Reads a model.
   *
   * @throws InvalidProtocolBufferException the bytes are not a well-formed protobuf message
   * @throws IOException the stream failed
   * @throws IllegalArgumentException the message is well-formed but not an ONNX model
   */
  static Summary read(InputStream stream) throws IOException {
    OnnxReader reader = new OnnxReader(stream);
    reader.readModel();
    if (reader.irVersion <= 0) {
      throw new IllegalArgumentException("it has no ir_version");
    }
    if (!reader.sawGraph) {
      throw new IllegalArgumentException("it has no graph");
    }
    if (reader.outputs.isEmpty()) {
      throw new IllegalArgumentException("its graph declares no outputs");
    }
    return new Summary(
        reader.irVersion,
        reader.opsets,
        reader.producerName,
        reader.producerVersion,
        reader.graphName,
        reader.inputs,
        reader.outputs,
        reader.initializerNames,
        reader.parameterCount,
        reader.nodeCount,
        reader.opTypes,
        reader.externalRefs);
  }

  private void readModel() throws IOException {
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> irVersion = varint(tag);
        case 2 -> producerName = string(tag);
        case 3 -> producerVersion = string(tag);
        case 7 -> {
          sawGraph = true;
          nested(tag, this::readGraph);
        }
        case 8 -> {
          OperatorSetIdProto opset = small(tag, OperatorSetIdProto.parser());
          opsets.merge(opset.getDomain(), opset.getVersion(), Math::max);
        }
        default -> in.skipField(tag);
      }
    }
  }

  private void readGraph() throws IOException {
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> nested(tag, this::readNode);
        case 2 -> graphName = string(tag);
        case 5 -> nested(tag, () -> parameterCount += readTensor(true));
        case 15 -> nested(tag, this::readSparseTensor);
        case 11 -> inputs.add(small(tag, ValueInfoProto.parser()));
        case 12 -> outputs.add(small(tag, ValueInfoProto.parser()));
        default -> in.skipField(tag);
      }
    }
  }

  private void readNode() throws IOException {
    nodeCount++;
    String opType = "";
    String domain = "";
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 4 -> opType = string(tag);
        case 7 -> domain = string(tag);
        default -> in.skipField(tag);
      }
    }
    String key = domain.isEmpty() || domain.equals("ai.onnx") ? opType : domain + "." + opType;
    opTypes.merge(key, 1, Integer::sum);
  }

  private void readSparseTensor() throws IOException {
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (WireFormat.getTagFieldNumber(tag) == 1) {
        // The values tensor has shape [NNZ]: its element count is the stored parameter count.
        nested(tag, () -> parameterCount += readTensor(false));
      } else {
        in.skipField(tag);
      }
    }
  }

  /** Reads a TensorProto's header fields, skipping its data; returns its element count. */
  private long readTensor(boolean initializer) throws IOException {
    List<Long> dims = new ArrayList<>();
    String name = "";
    boolean external = false;
    Map<String, String> externalData = new LinkedHashMap<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> readInt64s(tag, dims);
        case 8 -> name = string(tag);
        case 13 -> {
          StringStringEntryProto entry = small(tag, StringStringEntryProto.parser());
          externalData.put(entry.getKey(), entry.getValue());
        }
        case 14 -> external = varint(tag) == TENSOR_DATA_LOCATION_EXTERNAL;
        default -> in.skipField(tag);
      }
    }
    if (initializer) {
      initializerNames.add(name);
    }
    if (external) {
      externalRefs.add(
          new ExternalRef(
              name,
              externalData.getOrDefault("location", ""),
              parseLong(externalData.get("offset"), 0),
              parseLong(externalData.get("length"), -1)));
    }
    long elements = 1;
    for (long dim : dims) {
      if (dim < 0) {
        throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension");
      }
      elements = Math.multiplyExact(elements, dim);
    }
    return elements;
  }

  private void readInt64s(int tag, List<Long> into) throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int limit = in.pushLimit(length());
      while (in.getBytesUntilLimit() > 0) {
        into.add(in.readInt64());
      }
      in.popLimit(limit);
    } else {
      into.add(varint(tag));
    }
  }

  private interface Body {
    void read() throws IOException;
  }

  private void nested(int tag, Body body) throws IOException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    int limit = in.pushLimit(length());
    body.read();
    endOf(limit);
  }

  private <T> T small(int tag, Parser<T> parser) throws IOException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    int length = length();
    if (length > MAX_SMALL_MESSAGE) {
      throw new InvalidProtocolBufferException(
          "a " + length + "-byte field where a small one belongs");
    }
    int limit = in.pushLimit(length);
    T message = parser.parseFrom(in, registry);
    endOf(limit);
    return message;
  }

  /**
   * Leaves a nested message. readTag() also answers 0 when the stream ends early, so a message that
   * stops short of its declared length means the file is truncated.
   */
  private void endOf(int limit) throws IOException {
    if (in.getBytesUntilLimit() > 0) {
      throw new InvalidProtocolBufferException("the file ends in the middle of a message");
    }
    in.popLimit(limit);
  }

  private String string(int tag) throws IOException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    int length = length();
    if (length > MAX_STRING) {
      throw new InvalidProtocolBufferException("a " + length + "-byte string where a name belongs");
    }
    return new String(in.readRawBytes(length), StandardCharsets.UTF_8);
  }

  private long varint(int tag) throws IOException {
    expect(tag, WireFormat.WIRETYPE_VARINT);
    return in.readInt64();
  }

  private int length() throws IOException {
    int length = in.readRawVarint32();
    if (length < 0) {
      throw new InvalidProtocolBufferException("negative length");
    }
    return length;
  }

  private static void expect(int tag, int wireType) throws InvalidProtocolBufferException {
    if (WireFormat.getTagWireType(tag) != wireType) {
      throw new InvalidProtocolBufferException(
          "field " + WireFormat.getTagFieldNumber(tag) + " has the wrong wire type");
    }
  }

  private static long parseLong(String value, long fallback) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "external data offset/length '" + value + "' is not a number");
    }
  }
}
