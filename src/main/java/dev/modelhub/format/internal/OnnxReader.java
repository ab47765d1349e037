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

  /** Most dimensions a tensor may have. */
  static final int MAX_RANK = 64;

  /** Most tensors one model may keep in external files (LLMs keep a few thousand). */
  static final int MAX_EXTERNAL_TENSORS = 100_000;

  /** Names as kept for error messages: at most this long. */
  private static final int SHOWN = 100;

  /**
   * Where in the model a tensor sits, built into words only when an error needs them (names of a
   * hostile model can be a megabyte each, and there can be hundreds of thousands of tensors).
   */
  record Where(String kind, String name, Where parent) {
    @Override
    public String toString() {
      String self = kind + (name == null ? "" : " '" + name + "'");
      return parent == null ? self : self + " in " + parent;
    }
  }

  /**
   * A tensor that keeps its bytes outside the model file.
   *
   * @param tensor the tensor's name
   * @param where where in the model it is (for errors)
   * @param location the {@code location} entry, or null
   * @param offset the {@code offset} entry as written, or null
   * @param length the {@code length} entry as written, or null
   */
  record ExternalRef(
      String tensor,
      Where where,
      String location,
      String offset,
      String length,
      int dataType,
      long elements) {}

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
    Set<Integer> seen = new HashSet<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case ModelProto.IR_VERSION_FIELD_NUMBER -> irVersion = varint(tag);
        case ModelProto.PRODUCER_NAME_FIELD_NUMBER -> producerName = string(tag);
        case ModelProto.PRODUCER_VERSION_FIELD_NUMBER -> producerVersion = string(tag);
        case ModelProto.GRAPH_FIELD_NUMBER -> {
          sawGraph = true;
          once(tag, seen, "graph");
          nested(tag, () -> readGraph(0, new Where("the graph", null, null)));
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
  private void readGraph(int depth, Where where) throws IOException {
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
          long elements = nestedTensor(tag, new Where("an initializer", null, where), main);
          if (main) {
            parameterCount += elements;
          }
        }
        case GraphProto.SPARSE_INITIALIZER_FIELD_NUMBER ->
            nested(
                tag, () -> readSparseTensor(new Where("a sparse initializer", null, where), main));
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

  private void readNode(int depth, Where graph) throws IOException {
    if (depth == 0) {
      nodeCount++;
    }
    String name = "";
    String opType = "";
    String domain = "";
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case NodeProto.NAME_FIELD_NUMBER -> name = shown(string(tag));
        case NodeProto.OP_TYPE_FIELD_NUMBER -> opType = shown(string(tag));
        case NodeProto.DOMAIN_FIELD_NUMBER -> domain = shown(string(tag));
        case NodeProto.ATTRIBUTE_FIELD_NUMBER -> {
          Where node = new Where("node", name + " (" + opType + ")", graph);
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

  private void readAttribute(int depth, Where node) throws IOException {
    String name = "";
    Set<Integer> seen = new HashSet<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      int field = WireFormat.getTagFieldNumber(tag);
      Where where = new Where("attribute", name, node);
      switch (field) {
        case AttributeProto.NAME_FIELD_NUMBER -> name = shown(string(tag));
        case AttributeProto.T_FIELD_NUMBER -> {
          once(tag, seen, "attribute t");
          nestedTensor(tag, where, false);
        }
        case AttributeProto.TENSORS_FIELD_NUMBER -> nestedTensor(tag, where, false);
        case AttributeProto.SPARSE_TENSOR_FIELD_NUMBER -> {
          once(tag, seen, "attribute sparse_tensor");
          nested(tag, () -> readSparseTensor(where, false));
        }
        case AttributeProto.SPARSE_TENSORS_FIELD_NUMBER ->
            nested(tag, () -> readSparseTensor(where, false));
        case AttributeProto.G_FIELD_NUMBER -> {
          once(tag, seen, "attribute g");
          nested(tag, () -> readGraph(depth + 1, new Where("the subgraph", null, where)));
        }
        case AttributeProto.GRAPHS_FIELD_NUMBER ->
            nested(tag, () -> readGraph(depth + 1, new Where("a subgraph", null, where)));
        default -> in.skipField(tag);
      }
    }
  }

  private void readFunction() throws IOException {
    String name = "";
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case FunctionProto.NAME_FIELD_NUMBER -> name = shown(string(tag));
        case FunctionProto.NODE_FIELD_NUMBER -> {
          Where function = new Where("function", name, null);
          nested(tag, () -> readNode(1, function));
        }
        case FunctionProto.ATTRIBUTE_PROTO_FIELD_NUMBER -> {
          Where function = new Where("the defaults of function", name, null);
          nested(tag, () -> readAttribute(1, function));
        }
        default -> in.skipField(tag);
      }
    }
  }

  private void readTrainingInfo() throws IOException {
    Set<Integer> seen = new HashSet<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case TrainingInfoProto.INITIALIZATION_FIELD_NUMBER -> {
          once(tag, seen, "training_info initialization");
          nested(
              tag,
              () -> readGraph(1, new Where("training_info's initialization graph", null, null)));
        }
        case TrainingInfoProto.ALGORITHM_FIELD_NUMBER -> {
          once(tag, seen, "training_info algorithm");
          nested(tag, () -> readGraph(1, new Where("training_info's algorithm graph", null, null)));
        }
        default -> in.skipField(tag);
      }
    }
  }

  private void readSparseTensor(Where where, boolean countParameters) throws IOException {
    Set<Integer> seen = new HashSet<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        // The values tensor has shape [NNZ]: its element count is the stored parameter count.
        case SparseTensorProto.VALUES_FIELD_NUMBER -> {
          once(tag, seen, "sparse tensor values");
          long elements = nestedTensor(tag, new Where("the values", null, where), false);
          if (countParameters) {
            parameterCount += elements;
          }
        }
        case SparseTensorProto.INDICES_FIELD_NUMBER -> {
          once(tag, seen, "sparse tensor indices");
          nestedTensor(tag, new Where("the indices", null, where), false);
        }
        default -> in.skipField(tag);
      }
    }
  }

  private long nestedTensor(int tag, Where where, boolean initializer) throws IOException {
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
  private long readTensor(Where where, boolean initializer) throws IOException {
    List<Long> dims = new ArrayList<>();
    String name = "";
    int dataType = 0;
    boolean external = false;
    Map<String, String> externalData = new LinkedHashMap<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case TensorProto.DIMS_FIELD_NUMBER -> readInt64s(tag, dims);
        case TensorProto.DATA_TYPE_FIELD_NUMBER -> dataType = (int) varint(tag);
        case TensorProto.NAME_FIELD_NUMBER -> name = string(tag);
        case TensorProto.EXTERNAL_DATA_FIELD_NUMBER -> {
          StringStringEntryProto entry = small(tag, StringStringEntryProto.parser());
          if (externalData.put(entry.getKey(), entry.getValue()) != null) {
            throw new IllegalArgumentException(
                "tensor '"
                    + shown(name)
                    + "' names its external '"
                    + shown(entry.getKey())
                    + "' twice");
          }
        }
        case TensorProto.DATA_LOCATION_FIELD_NUMBER ->
            external = varint(tag) == TensorProto.DataLocation.EXTERNAL_VALUE;
        default -> in.skipField(tag);
      }
    }
    if (initializer) {
      initializerNames.add(name);
    }
    long elements = 1;
    for (long dim : dims) {
      if (dim < 0) {
        throw new IllegalArgumentException("tensor '" + shown(name) + "' has a negative dimension");
      }
      elements = Math.multiplyExact(elements, dim);
    }
    if (external || externalData.containsKey("location")) {
      if (externalRefs.size() >= MAX_EXTERNAL_TENSORS) {
        throw new IllegalArgumentException(
            "it keeps more than " + MAX_EXTERNAL_TENSORS + " tensors in external files");
      }
      externalRefs.add(
          new ExternalRef(
              shown(name),
              new Where("tensor", shown(name), where),
              externalData.get("location"),
              externalData.get("offset"),
              externalData.get("length"),
              dataType,
              elements));
    }
    return elements;
  }

  private void readInt64s(int tag, List<Long> into) throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int limit = in.pushLimit(length());
      while (in.getBytesUntilLimit() > 0) {
        add(into, in.readInt64());
      }
      in.popLimit(limit);
    } else {
      add(into, varint(tag));
    }
  }

  private static void add(List<Long> dims, long dim) {
    if (dims.size() >= MAX_RANK) {
      throw new IllegalArgumentException("a tensor has more than " + MAX_RANK + " dimensions");
    }
    dims.add(dim);
  }

  /**
   * Refuses a second occurrence of a singular message field: protobuf would merge the two, so an
   * engine would see a tensor neither occurrence shows on its own.
   */
  private static void once(int tag, Set<Integer> seen, String field) {
    if (!seen.add(WireFormat.getTagFieldNumber(tag))) {
      throw new IllegalArgumentException("its " + field + " field appears twice");
    }
  }

  private static String shown(String name) {
    return name.length() <= SHOWN ? name : name.substring(0, SHOWN - 1) + "…";
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
