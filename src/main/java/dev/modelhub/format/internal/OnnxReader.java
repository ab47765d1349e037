package dev.modelhub.format.internal;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import com.google.protobuf.WireFormat;
import dev.modelhub.onnx.AttributeProto;
import dev.modelhub.onnx.FunctionProto;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.OperatorSetIdProto;
import dev.modelhub.onnx.SparseTensorProto;
import dev.modelhub.onnx.StringStringEntryProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.onnx.TrainingInfoProto;
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
 *
 * <p>Every tensor the model can hold is visited, because each may keep its bytes in an external
 * file that an engine will open: graph initializers, sparse initializers (values and indices),
 * tensors in node attributes ({@code Constant}'s value and any tensor or tensors attribute),
 * subgraphs of {@code If}/{@code Loop}/{@code Scan} at any depth, model-local functions and the
 * graphs of {@code training_info}.
 */
final class OnnxReader {

  /** Longest string (names, producer) accepted before the file is deemed corrupt. */
  private static final int MAX_STRING = 1 << 20;

  /** Longest small sub-message (value info, opset, external-data entry) accepted. */
  private static final int MAX_SMALL_MESSAGE = 16 << 20;

  /** Deepest nesting of subgraphs accepted (real models nest a handful). */
  static final int MAX_GRAPH_DEPTH = 32;

  /**
   * A tensor that keeps its bytes outside the model file.
   *
   * @param tensor the tensor's name
   * @param where where in the model it is (for errors)
   * @param location the {@code location} entry, or null
   * @param offset the {@code offset} entry as written, or null
   * @param length the {@code length} entry as written, or null
   */
  record ExternalRef(String tensor, String where, String location, String offset, String length) {}

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
        case ModelProto.IR_VERSION_FIELD_NUMBER -> irVersion = varint(tag);
        case ModelProto.PRODUCER_NAME_FIELD_NUMBER -> producerName = string(tag);
        case ModelProto.PRODUCER_VERSION_FIELD_NUMBER -> producerVersion = string(tag);
        case ModelProto.GRAPH_FIELD_NUMBER -> {
          sawGraph = true;
          nested(tag, () -> readGraph(0, "the graph"));
        }
        case ModelProto.OPSET_IMPORT_FIELD_NUMBER -> {
          OperatorSetIdProto opset = small(tag, OperatorSetIdProto.parser());
          opsets.merge(opset.getDomain(), opset.getVersion(), Math::max);
        }
        case ModelProto.FUNCTIONS_FIELD_NUMBER -> nested(tag, this::readFunction);
        case ModelProto.TRAINING_INFO_FIELD_NUMBER -> nested(tag, this::readTrainingInfo);
        default -> in.skipField(tag);
      }
    }
  }

  /**
   * Reads a graph. Depth 0 is the model's own graph, whose inputs, outputs, nodes and initializers
   * make the summary; deeper graphs (subgraphs, functions, training graphs) are only searched for
   * tensors.
   */
  private void readGraph(int depth, String where) throws IOException {
    if (depth > MAX_GRAPH_DEPTH) {
      throw new IllegalArgumentException(
          "its subgraphs are nested deeper than " + MAX_GRAPH_DEPTH + " levels");
    }
    boolean main = depth == 0;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case GraphProto.NODE_FIELD_NUMBER -> nested(tag, () -> readNode(depth, where));
        case GraphProto.NAME_FIELD_NUMBER -> {
          String name = string(tag);
          if (main) {
            graphName = name;
          }
        }
        case GraphProto.INITIALIZER_FIELD_NUMBER -> {
          long elements = nestedTensor(tag, "an initializer of " + where, main);
          if (main) {
            parameterCount += elements;
          }
        }
        case GraphProto.SPARSE_INITIALIZER_FIELD_NUMBER ->
            nested(tag, () -> readSparseTensor("a sparse initializer of " + where, main));
        case GraphProto.INPUT_FIELD_NUMBER -> {
          ValueInfoProto input = small(tag, ValueInfoProto.parser());
          if (main) {
            inputs.add(input);
          }
        }
        case GraphProto.OUTPUT_FIELD_NUMBER -> {
          ValueInfoProto output = small(tag, ValueInfoProto.parser());
          if (main) {
            outputs.add(output);
          }
        }
        default -> in.skipField(tag);
      }
    }
  }

  private void readNode(int depth, String graph) throws IOException {
    if (depth == 0) {
      nodeCount++;
    }
    String name = "";
    String opType = "";
    String domain = "";
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case NodeProto.NAME_FIELD_NUMBER -> name = string(tag);
        case NodeProto.OP_TYPE_FIELD_NUMBER -> opType = string(tag);
        case NodeProto.DOMAIN_FIELD_NUMBER -> domain = string(tag);
        case NodeProto.ATTRIBUTE_FIELD_NUMBER -> {
          String node = "node '" + name + "' (" + opType + ") in " + graph;
          nested(tag, () -> readAttribute(depth, node));
        }
        default -> in.skipField(tag);
      }
    }
    if (depth == 0) {
      String key = domain.isEmpty() || domain.equals("ai.onnx") ? opType : domain + "." + opType;
      opTypes.merge(key, 1, Integer::sum);
    }
  }

  private void readAttribute(int depth, String node) throws IOException {
    String name = "";
    int tag;
    while ((tag = in.readTag()) != 0) {
      String where = "attribute '" + name + "' of " + node;
      switch (WireFormat.getTagFieldNumber(tag)) {
        case AttributeProto.NAME_FIELD_NUMBER -> name = string(tag);
        case AttributeProto.T_FIELD_NUMBER, AttributeProto.TENSORS_FIELD_NUMBER ->
            nestedTensor(tag, where, false);
        case AttributeProto.SPARSE_TENSOR_FIELD_NUMBER,
            AttributeProto.SPARSE_TENSORS_FIELD_NUMBER ->
            nested(tag, () -> readSparseTensor(where, false));
        case AttributeProto.G_FIELD_NUMBER, AttributeProto.GRAPHS_FIELD_NUMBER ->
            nested(tag, () -> readGraph(depth + 1, "the subgraph in " + where));
        default -> in.skipField(tag);
      }
    }
  }

  private void readFunction() throws IOException {
    String name = "";
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case FunctionProto.NAME_FIELD_NUMBER -> name = string(tag);
        case FunctionProto.NODE_FIELD_NUMBER -> {
          String function = "function '" + name + "'";
          nested(tag, () -> readNode(1, function));
        }
        case FunctionProto.ATTRIBUTE_PROTO_FIELD_NUMBER -> {
          String function = "the defaults of function '" + name + "'";
          nested(tag, () -> readAttribute(1, function));
        }
        default -> in.skipField(tag);
      }
    }
  }

  private void readTrainingInfo() throws IOException {
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case TrainingInfoProto.INITIALIZATION_FIELD_NUMBER ->
            nested(tag, () -> readGraph(1, "training_info's initialization graph"));
        case TrainingInfoProto.ALGORITHM_FIELD_NUMBER ->
            nested(tag, () -> readGraph(1, "training_info's algorithm graph"));
        default -> in.skipField(tag);
      }
    }
  }

  private void readSparseTensor(String where, boolean countParameters) throws IOException {
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        // The values tensor has shape [NNZ]: its element count is the stored parameter count.
        case SparseTensorProto.VALUES_FIELD_NUMBER -> {
          long elements = nestedTensor(tag, "the values of " + where, false);
          if (countParameters) {
            parameterCount += elements;
          }
        }
        case SparseTensorProto.INDICES_FIELD_NUMBER ->
            nestedTensor(tag, "the indices of " + where, false);
        default -> in.skipField(tag);
      }
    }
  }

  private long nestedTensor(int tag, String where, boolean initializer) throws IOException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    int limit = in.pushLimit(length());
    long elements = readTensor(where, initializer);
    endOf(limit);
    return elements;
  }

  /**
   * Reads a TensorProto's header fields, skipping its data; records where its bytes live when they
   * are external (by {@code data_location}, or by an external-data entry naming a location, which
   * is checked either way); returns its element count.
   */
  private long readTensor(String where, boolean initializer) throws IOException {
    List<Long> dims = new ArrayList<>();
    String name = "";
    boolean external = false;
    Map<String, String> externalData = new LinkedHashMap<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case TensorProto.DIMS_FIELD_NUMBER -> readInt64s(tag, dims);
        case TensorProto.NAME_FIELD_NUMBER -> name = string(tag);
        case TensorProto.EXTERNAL_DATA_FIELD_NUMBER -> {
          StringStringEntryProto entry = small(tag, StringStringEntryProto.parser());
          externalData.put(entry.getKey(), entry.getValue());
        }
        case TensorProto.DATA_LOCATION_FIELD_NUMBER ->
            external = varint(tag) == TensorProto.DataLocation.EXTERNAL_VALUE;
        default -> in.skipField(tag);
      }
    }
    if (initializer) {
      initializerNames.add(name);
    }
    if (external || externalData.containsKey("location")) {
      externalRefs.add(
          new ExternalRef(
              name,
              "tensor '" + name + "' (" + where + ")",
              externalData.get("location"),
              externalData.get("offset"),
              externalData.get("length")));
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
}
