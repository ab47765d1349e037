package dev.modelhub.optimize.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import dev.modelhub.onnx.AttributeProto;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.StringStringEntryProto;
import dev.modelhub.onnx.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model being rewritten by a pass: its nodes as a list, its initializers by name, and
 * tensor data as Java arrays. Initializers kept in external files are read from them on demand;
 * {@link #write} stores large tensors as external data again, so no single protobuf message has to
 * hold more than the graph itself.
 */
public final class OnnxGraph {

  /** Tensors above this many bytes go to the external data file when the model is written. */
  static final long EXTERNAL_THRESHOLD = 1L << 20;

  /** Models whose tensor bytes exceed this are written with external data. */
  static final long INLINE_LIMIT = 1L << 30;

  private final ModelProto.Builder model;
  private final Path baseDir;
  private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
  private List<NodeProto> nodes;
  private final Set<String> names = new HashSet<>();
  private int counter;

  private OnnxGraph(ModelProto proto, Path baseDir) {
    this.model = proto.toBuilder();
    this.baseDir = baseDir;
    for (TensorProto t : proto.getGraph().getInitializerList()) {
      initializers.put(t.getName(), t);
    }
    this.nodes = new ArrayList<>(proto.getGraph().getNodeList());
    nodes.forEach(
        n -> {
          names.add(n.getName());
          names.addAll(n.getOutputList());
        });
    names.addAll(initializers.keySet());
    proto.getGraph().getInputList().forEach(i -> names.add(i.getName()));
  }

  /** Reads a model file; external data is read later from files next to it. */
  public static OnnxGraph read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      return new OnnxGraph(ModelProto.parseFrom(coded), file.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  public List<NodeProto> nodes() {
    return nodes;
  }

  public void setNodes(List<NodeProto> nodes) {
    this.nodes = new ArrayList<>(nodes);
    nodes.forEach(
        n -> {
          names.add(n.getName());
          names.addAll(n.getOutputList());
        });
  }

  public TensorProto initializer(String name) {
    return initializers.get(name);
  }

  public Map<String, TensorProto> initializers() {
    return initializers;
  }

  public boolean isInitializer(String name) {
    return initializers.containsKey(name);
  }

  public void putInitializer(TensorProto tensor) {
    initializers.put(tensor.getName(), tensor);
    names.add(tensor.getName());
  }

  /** Removes an initializer, and the graph input of the same name old exporters also list. */
  public void removeInitializer(String name) {
    initializers.remove(name);
    var inputs = graph().getInputList();
    for (int i = 0; i < inputs.size(); i++) {
      if (inputs.get(i).getName().equals(name)) {
        graph().removeInput(i);
        return;
      }
    }
  }

  /** How many nodes read {@code value}. */
  public int consumers(String value) {
    int n = 0;
    for (NodeProto node : nodes) {
      for (String input : node.getInputList()) {
        if (input.equals(value)) {
          n++;
        }
      }
    }
    return n;
  }

  /** A value or node name not used yet, starting with {@code prefix}. */
  public String fresh(String prefix) {
    String name = prefix;
    while (!names.add(name)) {
      name = prefix + "_" + (++counter);
    }
    return name;
  }

  public ModelProto.Builder model() {
    return model;
  }

  public GraphProto.Builder graph() {
    return model.getGraphBuilder();
  }

  // ---- tensor data ----

  /** The elements of a FLOAT tensor, from raw data, float_data or an external file. */
  public float[] floats(TensorProto tensor) {
    return floats(tensor, rawBytes(tensor));
  }

  /** The elements of a FLOAT tensor whose data is inline (as in node attributes). */
  public static float[] inlineFloats(TensorProto tensor) {
    return floats(tensor, tensor.getRawData().asReadOnlyByteBuffer());
  }

  private static float[] floats(TensorProto tensor, ByteBuffer raw) {
    if (tensor.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      throw new IllegalArgumentException("tensor '" + tensor.getName() + "' is not FLOAT");
    }
    if (tensor.getFloatDataCount() > 0) {
      float[] values = new float[tensor.getFloatDataCount()];
      for (int i = 0; i < values.length; i++) {
        values[i] = tensor.getFloatData(i);
      }
      return values;
    }
    ByteBuffer bytes = raw.order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(values);
    return values;
  }

  private ByteBuffer rawBytes(TensorProto tensor) {
    if (tensor.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
      return tensor.getRawData().asReadOnlyByteBuffer();
    }
    Map<String, String> external = new HashMap<>();
    for (StringStringEntryProto e : tensor.getExternalDataList()) {
      external.put(e.getKey(), e.getValue());
    }
    Path file = baseDir.resolve(external.get("location")).normalize();
    if (!file.startsWith(baseDir)) {
      throw new IllegalArgumentException("external data outside the model folder");
    }
    long offset = Long.parseLong(external.getOrDefault("offset", "0"));
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long length =
          external.containsKey("length")
              ? Long.parseLong(external.get("length"))
              : in.length() - offset;
      byte[] data = new byte[Math.toIntExact(length)];
      in.seek(offset);
      in.readFully(data);
      return ByteBuffer.wrap(data);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read external data of " + tensor.getName(), e);
    }
  }

  public static long elements(TensorProto tensor) {
    long n = 1;
    for (long d : tensor.getDimsList()) {
      n *= d;
    }
    return n;
  }

  public static TensorProto floatTensor(String name, long[] dims, float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    return tensor(name, TensorProto.DataType.FLOAT_VALUE, dims, buffer.array());
  }

  public static TensorProto int8Tensor(String name, long[] dims, byte[] values) {
    return tensor(name, TensorProto.DataType.INT8_VALUE, dims, values);
  }

  public static TensorProto fp16Tensor(String name, long[] dims, short[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asShortBuffer().put(values);
    return tensor(name, TensorProto.DataType.FLOAT16_VALUE, dims, buffer.array());
  }

  private static TensorProto tensor(String name, int type, long[] dims, byte[] raw) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
    for (long d : dims) {
      t.addDims(d);
    }
    return t.setRawData(ByteString.copyFrom(raw)).build();
  }

  // ---- node helpers ----

  public static NodeProto node(
      String op,
      String name,
      List<String> inputs,
      List<String> outputs,
      AttributeProto... attributes) {
    NodeProto.Builder node =
        NodeProto.newBuilder()
            .setOpType(op)
            .setName(name)
            .addAllInput(inputs)
            .addAllOutput(outputs);
    for (AttributeProto a : attributes) {
      node.addAttribute(a);
    }
    return node.build();
  }

  public static AttributeProto intAttribute(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  public static long intAttribute(NodeProto node, String name, long fallback) {
    for (AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getI();
      }
    }
    return fallback;
  }

  public static float floatAttribute(NodeProto node, String name, float fallback) {
    for (AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getF();
      }
    }
    return fallback;
  }

  // ---- writing ----

  /**
   * Writes the rewritten model to {@code dir}: {@code model.onnx}, plus {@code model.onnx.data}
   * holding large tensors when the model's tensors exceed {@link #INLINE_LIMIT}. Returns the model
   * file.
   */
  public Path write(Path dir) {
    return write(dir, INLINE_LIMIT);
  }

  /** As {@link #write(Path)}, with external data above {@code inlineLimit} bytes of tensors. */
  public Path write(Path dir, long inlineLimit) {
    GraphProto.Builder graph = model.getGraphBuilder();
    graph.clearNode().addAllNode(nodes);
    graph.clearInitializer();
    long total = initializers.values().stream().mapToLong(t -> t.getRawData().size()).sum();
    boolean external = total > inlineLimit;
    long externalThreshold = Math.min(EXTERNAL_THRESHOLD, inlineLimit);
    Path file = dir.resolve("model.onnx");
    try {
      Files.createDirectories(dir);
      if (!external) {
        for (TensorProto t : initializers.values()) {
          graph.addInitializer(inline(t));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
          model.build().writeTo(out);
        }
        return file;
      }
      Path dataFile = dir.resolve("model.onnx.data");
      try (OutputStream data = Files.newOutputStream(dataFile)) {
        long offset = 0;
        for (TensorProto t : initializers.values()) {
          TensorProto tensor = inline(t);
          if (tensor.getRawData().size() < externalThreshold) {
            graph.addInitializer(tensor);
            continue;
          }
          tensor.getRawData().writeTo(data);
          graph.addInitializer(
              tensor.toBuilder()
                  .clearRawData()
                  .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                  .addExternalData(entry("location", "model.onnx.data"))
                  .addExternalData(entry("offset", Long.toString(offset)))
                  .addExternalData(entry("length", Integer.toString(tensor.getRawData().size()))));
          offset += tensor.getRawData().size();
        }
      }
      try (OutputStream out = Files.newOutputStream(file)) {
        model.build().writeTo(out);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the variant to " + dir, e);
    }
  }

  /** A tensor with its bytes inline (read from external data when needed). */
  private TensorProto inline(TensorProto t) {
    if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
      return t;
    }
    ByteBuffer bytes = rawBytes(t);
    return t.toBuilder()
        .clearExternalData()
        .clearDataLocation()
        .setRawData(ByteString.copyFrom(bytes))
        .build();
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }
}
