package dev.modelhub.optimize.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.modelhub.onnx.AttributeProto;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.StringStringEntryProto;
import dev.modelhub.onnx.TensorProto;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model being rewritten by a pass, built so that the model may be many times the heap: the
 * graph's structure (nodes, names, attributes, small tensors) is in memory, and every large tensor
 * stays where it is — in the parent's external data file, or in the parent's own {@code .onnx}
 * file, whose large {@code raw_data} fields are skipped when it is read and read back by position.
 * Passes read a tensor a block at a time ({@link #open}) and write what they make a block at a time
 * ({@link #create}); a large new tensor goes straight to the variant's data file in the output
 * folder, so no tensor is ever whole on the heap unless a pass chooses to hold it. {@link #write}
 * then copies the untouched tensors across in chunks.
 */
public final class OnnxGraph implements AutoCloseable {

  /** Tensors of this many bytes or more go to the external data file when the model is written. */
  static final long EXTERNAL_THRESHOLD = 1L << 20;

  /**
   * Models whose tensor bytes exceed this are written with external data: below it the whole model
   * is one protobuf message on the heap while it is written, so this bounds that heap too.
   */
  static final long INLINE_LIMIT = 64L << 20;

  /** {@code raw_data} fields of this many bytes or more are left in the file when it is read. */
  static final int LAZY_THRESHOLD = 64 << 10;

  /** Elements a pass handles at a time (4 MiB of floats). */
  static final int BLOCK = 1 << 20;

  /** The variant's data file, in the output folder. */
  static final String DATA_FILE = "model.onnx.data";

  private final ModelProto.Builder model;
  private final Path baseDir;
  private final Path outputDir;
  private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
  private final Set<String> spilled = new HashSet<>();
  private List<NodeProto> nodes;
  private final Set<String> names = new HashSet<>();
  private int counter;
  private FileChannel spill;
  private long spillEnd;

  private OnnxGraph(ModelProto proto, Path baseDir, Path outputDir) {
    this.model = proto.toBuilder();
    this.baseDir = baseDir;
    this.outputDir = outputDir;
    for (TensorProto t : proto.getGraph().getInitializerList()) {
      initializers.put(t.getName(), t);
    }
    model.getGraphBuilder().clearInitializer();
    this.nodes = new ArrayList<>(proto.getGraph().getNodeList());
    nodes.forEach(
        n -> {
          names.add(n.getName());
          names.addAll(n.getOutputList());
        });
    names.addAll(initializers.keySet());
    proto.getGraph().getInputList().forEach(i -> names.add(i.getName()));
  }

  /**
   * Reads a model file for a pass that writes its variant to {@code outputDir} (a folder other than
   * the model's own). External data is read later from files next to the model.
   */
  public static OnnxGraph read(Path file, Path outputDir) {
    Path base = file.toAbsolutePath().normalize().getParent();
    Path out = outputDir.toAbsolutePath().normalize();
    if (out.equals(base)) {
      throw new IllegalArgumentException("the variant must be written to a folder of its own");
    }
    OnnxGraph graph = new OnnxGraph(lazily(file), base, out);
    graph.refuseExternalDataOutsideInitializers();
    return graph;
  }

  /** Reads a model file only to look at it (the accuracy search's candidates). */
  public static OnnxGraph read(Path file) {
    OnnxGraph graph =
        new OnnxGraph(lazily(file), file.toAbsolutePath().normalize().getParent(), null);
    graph.refuseExternalDataOutsideInitializers();
    return graph;
  }

  /**
   * Passes rewrite the graph's initializers, whose data they place in the variant's own folder; a
   * tensor elsewhere (a node attribute, a subgraph, a sparse initializer, a function) keeping its
   * data in a file would still name a file of the parent's folder, which the variant's does not
   * have. Such models are refused with the place named.
   */
  private void refuseExternalDataOutsideInitializers() {
    ModelProto proto = model.build();
    for (var sparse : proto.getGraph().getSparseInitializerList()) {
      refuseExternal(sparse.getValues(), "sparse initializer");
      refuseExternal(sparse.getIndices(), "sparse initializer");
    }
    for (NodeProto node : nodes) {
      refuseExternal(node);
    }
    for (var function : proto.getFunctionsList()) {
      function.getNodeList().forEach(OnnxGraph::refuseExternal);
    }
    for (var training : proto.getTrainingInfoList()) {
      refuseExternal(training.getInitialization(), "training_info");
      refuseExternal(training.getAlgorithm(), "training_info");
    }
  }

  private static void refuseExternal(NodeProto node) {
    for (AttributeProto a : node.getAttributeList()) {
      String place = "attribute '" + a.getName() + "' of node '" + node.getName() + "'";
      refuseExternal(a.getT(), place);
      a.getTensorsList().forEach(t -> refuseExternal(t, place));
      refuseExternal(a.getSparseTensor().getValues(), place);
      refuseExternal(a.getSparseTensor().getIndices(), place);
      refuseExternal(a.getG(), place);
      a.getGraphsList().forEach(g -> refuseExternal(g, place));
    }
  }

  private static void refuseExternal(GraphProto graph, String place) {
    graph.getInitializerList().forEach(t -> refuseExternal(t, "a subgraph of " + place));
    graph.getNodeList().forEach(OnnxGraph::refuseExternal);
  }

  private static void refuseExternal(TensorProto tensor, String place) {
    if (tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new IllegalArgumentException(
          "tensor '"
              + tensor.getName()
              + "' in "
              + place
              + " keeps its data in an external file: passes rewrite external data of graph"
              + " initializers only");
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

  /** Adds or replaces an initializer whose data is inline (small tensors: scales, zero points). */
  public void putInitializer(TensorProto tensor) {
    if (tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new IllegalArgumentException("new tensors are written with create()");
    }
    initializers.put(tensor.getName(), tensor);
    spilled.remove(tensor.getName());
    names.add(tensor.getName());
  }

  /** Removes an initializer, and the graph input of the same name old exporters also list. */
  public void removeInitializer(String name) {
    initializers.remove(name);
    spilled.remove(name);
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

  /** The sum of the initializers' element counts (the model's parameters). */
  public long parameterCount() {
    return initializers.values().stream().mapToLong(OnnxGraph::elements).reduce(0, Math::addExact);
  }

  // ---- reading ----

  /**
   * Parses a model, leaving every large {@code raw_data} of a graph initializer in the file: such a
   * tensor is kept as an external reference to the model file itself, at the field's position, and
   * read from there like any external data. A 2 GB model thus costs its structure, not its bytes.
   */
  private static ModelProto lazily(Path file) {
    String location = file.getFileName().toString();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      ByteString.Output rest = ByteString.newOutput();
      CodedOutputStream restOut = CodedOutputStream.newInstance(rest);
      GraphProto graph = null;
      int graphTag = tag(7);
      for (int tag = coded.readTag(); tag != 0; tag = coded.readTag()) {
        if (tag == graphTag) {
          int limit = coded.pushLimit(length(coded));
          GraphProto read = graph(coded, location);
          coded.popLimit(limit);
          graph = graph == null ? read : graph.toBuilder().mergeFrom(read).build();
        } else {
          coded.skipField(tag, restOut);
        }
      }
      restOut.flush();
      ModelProto.Builder model = ModelProto.parseFrom(rest.toByteString()).toBuilder();
      if (graph != null) {
        model.setGraph(graph);
      }
      return model.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static GraphProto graph(CodedInputStream coded, String location) throws IOException {
    ByteString.Output rest = ByteString.newOutput();
    CodedOutputStream restOut = CodedOutputStream.newInstance(rest);
    List<TensorProto> initializers = new ArrayList<>();
    int initializerTag = tag(5);
    for (int tag = coded.readTag(); tag != 0; tag = coded.readTag()) {
      if (tag == initializerTag) {
        int limit = coded.pushLimit(length(coded));
        initializers.add(tensor(coded, location));
        coded.popLimit(limit);
      } else {
        coded.skipField(tag, restOut);
      }
    }
    restOut.flush();
    return GraphProto.parseFrom(rest.toByteString()).toBuilder()
        .addAllInitializer(initializers)
        .build();
  }

  private static TensorProto tensor(CodedInputStream coded, String location) throws IOException {
    ByteString.Output rest = ByteString.newOutput();
    CodedOutputStream restOut = CodedOutputStream.newInstance(rest);
    int rawTag = tag(9);
    long offset = -1;
    int length = 0;
    for (int tag = coded.readTag(); tag != 0; tag = coded.readTag()) {
      if (tag == rawTag) {
        length = length(coded);
        if (length >= LAZY_THRESHOLD) {
          offset = coded.getTotalBytesRead();
          coded.skipRawBytes(length);
          continue;
        }
        restOut.writeBytes(9, ByteString.copyFrom(coded.readRawBytes(length)));
        continue;
      }
      coded.skipField(tag, restOut);
    }
    restOut.flush();
    TensorProto tensor = TensorProto.parseFrom(rest.toByteString());
    if (offset < 0) {
      return tensor;
    }
    if (tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new IllegalArgumentException(
          "tensor '" + tensor.getName() + "' has both raw data and external data");
    }
    return tensor.toBuilder()
        .clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", location))
        .addExternalData(entry("offset", Long.toString(offset)))
        .addExternalData(entry("length", Integer.toString(length)))
        .build();
  }

  /** The tag of length-delimited field {@code number}. */
  private static int tag(int number) {
    return (number << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  private static int length(CodedInputStream coded) throws IOException {
    int length = coded.readRawVarint32();
    if (length < 0) {
      throw new IOException("a field longer than 2 GB");
    }
    return length;
  }

  // ---- tensor data ----

  /** Where a tensor's bytes are: inline, or a region of a file. */
  private record Region(Path file, long offset, long length) {}

  /** The file region of an external tensor, checked against its folder; null when inline. */
  private Region region(TensorProto tensor) {
    if (tensor.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
      return null;
    }
    Map<String, String> external = new HashMap<>();
    for (StringStringEntryProto e : tensor.getExternalDataList()) {
      external.put(e.getKey(), e.getValue());
    }
    Path dir = (spilled.contains(tensor.getName()) ? outputDir : baseDir).normalize();
    Path file = dir.resolve(external.getOrDefault("location", "")).normalize();
    if (!file.startsWith(dir) || file.equals(dir)) {
      throw new IllegalArgumentException("external data outside the model folder");
    }
    try {
      long size = Files.size(file);
      long offset = Long.parseLong(external.getOrDefault("offset", "0"));
      long length =
          external.containsKey("length") ? Long.parseLong(external.get("length")) : size - offset;
      if (offset < 0 || length < 0 || offset > size || length > size - offset) {
        throw new IllegalArgumentException(
            "external data of '" + tensor.getName() + "' lies beyond its file");
      }
      return new Region(file, offset, length);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read external data of " + tensor.getName(), e);
    }
  }

  /** How many bytes of data a tensor holds. */
  private long bytes(TensorProto tensor) {
    Region region = region(tensor);
    return region != null ? region.length() : tensor.getSerializedSize();
  }

  /**
   * Opens a FLOAT tensor for reading a block at a time, wherever its data is: inline, in {@code
   * float_data}, in an external file or in the parent model's file.
   */
  public FloatTensor open(TensorProto tensor) {
    if (tensor.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      throw new IllegalArgumentException("tensor '" + tensor.getName() + "' is not FLOAT");
    }
    long elements = elements(tensor);
    if (tensor.getFloatDataCount() > 0) {
      float[] values = new float[tensor.getFloatDataCount()];
      for (int i = 0; i < values.length; i++) {
        values[i] = tensor.getFloatData(i);
      }
      return new FloatTensor(elements, null, null, false, 0, values);
    }
    Region region = region(tensor);
    if (region == null) {
      if (elements > tensor.getRawData().size() / 4) {
        throw new IllegalArgumentException(
            "tensor '" + tensor.getName() + "' has fewer bytes than its shape needs");
      }
      return new FloatTensor(
          elements, tensor.getRawData().asReadOnlyByteBuffer(), null, false, 0, null);
    }
    if (elements > region.length() / 4) {
      throw new IllegalArgumentException(
          "tensor '" + tensor.getName() + "' has fewer bytes than its shape needs");
    }
    try {
      boolean own = spilled.contains(tensor.getName());
      FileChannel channel = own ? spill : FileChannel.open(region.file(), StandardOpenOption.READ);
      return new FloatTensor(elements, null, channel, !own, region.offset(), null);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the data of " + tensor.getName(), e);
    }
  }

  /** A FLOAT tensor read by position, a block at a time. */
  public static final class FloatTensor implements AutoCloseable {
    private final long elements;
    private final ByteBuffer inline;
    private final FileChannel channel;
    private final boolean owned;
    private final long offset;
    private final float[] values;
    private ByteBuffer buffer;

    private FloatTensor(
        long elements,
        ByteBuffer inline,
        FileChannel channel,
        boolean owned,
        long offset,
        float[] values) {
      this.elements = elements;
      this.inline = inline == null ? null : inline.order(ByteOrder.LITTLE_ENDIAN);
      this.channel = channel;
      this.owned = owned;
      this.offset = offset;
      this.values = values;
    }

    public long elements() {
      return elements;
    }

    /** Reads elements {@code [index, index + length)} into {@code into[at…]}. */
    public void read(long index, float[] into, int at, int length) {
      if (index < 0 || index + length > elements) {
        throw new IndexOutOfBoundsException(index + "+" + length + " of " + elements);
      }
      if (values != null) {
        System.arraycopy(values, Math.toIntExact(index), into, at, length);
        return;
      }
      if (inline != null) {
        inline.asFloatBuffer().get(Math.toIntExact(index), into, at, length);
        return;
      }
      if (buffer == null || buffer.capacity() < length * 4) {
        buffer = ByteBuffer.allocate(Math.max(length, 1024) * 4).order(ByteOrder.LITTLE_ENDIAN);
      }
      buffer.clear().limit(length * 4);
      readFully(channel, buffer, offset + index * 4);
      buffer.flip();
      buffer.asFloatBuffer().get(into, at, length);
    }

    /** What {@link #blocks} hands each block to. */
    public interface Block {
      void accept(long start, float[] values, int length);
    }

    /** Reads the whole tensor in order, {@link OnnxGraph#BLOCK} elements at a time. */
    public void blocks(Block visitor) {
      float[] block = new float[(int) Math.min(BLOCK, Math.max(elements, 1))];
      for (long start = 0; start < elements; start += block.length) {
        int length = (int) Math.min(block.length, elements - start);
        read(start, block, 0, length);
        visitor.accept(start, block, length);
      }
    }

    /** Elements {@code [index, index + length)} as a new array. */
    public float[] read(long index, int length) {
      float[] into = new float[length];
      read(index, into, 0, length);
      return into;
    }

    @Override
    public void close() {
      if (owned) {
        try {
          channel.close();
        } catch (IOException e) {
          // read-only
        }
      }
    }
  }

  private static void readFully(FileChannel channel, ByteBuffer into, long position) {
    try {
      long at = position;
      while (into.hasRemaining()) {
        int n = channel.read(into, at);
        if (n < 0) {
          throw new IOException("the data file ended early");
        }
        at += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeFully(FileChannel channel, ByteBuffer from, long position) {
    try {
      long at = position;
      while (from.hasRemaining()) {
        at += channel.write(from, at);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a new tensor (FLOAT, FLOAT16 or INT8) of {@code dims} that a pass fills by position;
   * {@link NewTensor#finish} adds it as an initializer. A large one is written to the variant's
   * data file as it is filled, so it never sits on the heap.
   */
  public NewTensor create(String name, int dataType, long[] dims) {
    int size =
        switch (dataType) {
          case TensorProto.DataType.FLOAT_VALUE -> 4;
          case TensorProto.DataType.FLOAT16_VALUE -> 2;
          case TensorProto.DataType.INT8_VALUE -> 1;
          default -> throw new IllegalArgumentException("tensors of type " + dataType);
        };
    long elements = 1;
    for (long d : dims) {
      elements = Math.multiplyExact(elements, d);
    }
    long length = Math.multiplyExact(elements, size);
    TensorProto.Builder header = TensorProto.newBuilder().setName(name).setDataType(dataType);
    for (long d : dims) {
      header.addDims(d);
    }
    if (length < EXTERNAL_THRESHOLD) {
      return new NewTensor(header, size, elements, ByteBuffer.allocate((int) length), -1);
    }
    if (outputDir == null) {
      throw new IllegalStateException("this graph was read without an output folder");
    }
    try {
      openSpill();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the variant to " + outputDir, e);
    }
    long offset = align(spillEnd);
    spillEnd = offset + length;
    return new NewTensor(header, size, elements, null, offset);
  }

  /** Opens the variant's data file in the output folder, once. */
  private void openSpill() throws IOException {
    if (spill == null) {
      Files.createDirectories(outputDir);
      spill =
          FileChannel.open(
              outputDir.resolve(DATA_FILE),
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
    }
  }

  /** Data offsets on 64-byte boundaries, as ONNX's own writer aligns them. */
  private static long align(long offset) {
    return (offset + 63) & ~63L;
  }

  /** A tensor being filled by a pass. */
  public final class NewTensor {
    private final TensorProto.Builder header;
    private final int size;
    private final long elements;
    private final ByteBuffer inline;
    private final long offset;
    private ByteBuffer buffer;

    private NewTensor(
        TensorProto.Builder header, int size, long elements, ByteBuffer inline, long offset) {
      this.header = header;
      this.size = size;
      this.elements = elements;
      this.inline = inline == null ? null : inline.order(ByteOrder.LITTLE_ENDIAN);
      this.offset = offset;
    }

    public long elements() {
      return elements;
    }

    private ByteBuffer target(long index, int length) {
      if (index < 0 || index + length > elements) {
        throw new IndexOutOfBoundsException(index + "+" + length + " of " + elements);
      }
      if (inline != null) {
        return inline.duplicate().order(ByteOrder.LITTLE_ENDIAN).position((int) index * size);
      }
      int bytes = Math.multiplyExact(length, size);
      if (buffer == null || buffer.capacity() < bytes) {
        buffer = ByteBuffer.allocate(Math.max(bytes, 4096)).order(ByteOrder.LITTLE_ENDIAN);
      }
      return buffer.clear();
    }

    private void flush(ByteBuffer written, long index) {
      if (inline == null) {
        written.flip();
        writeFully(spill, written, offset + index * size);
      }
    }

    public void put(long index, float[] values, int at, int length) {
      ByteBuffer b = target(index, length);
      b.asFloatBuffer().put(values, at, length);
      b.position(b.position() + length * 4);
      flush(b, index);
    }

    public void put(long index, short[] values, int at, int length) {
      ByteBuffer b = target(index, length);
      b.asShortBuffer().put(values, at, length);
      b.position(b.position() + length * 2);
      flush(b, index);
    }

    public void put(long index, byte[] values, int at, int length) {
      ByteBuffer b = target(index, length);
      b.put(values, at, length);
      flush(b, index);
    }

    /** Adds the tensor to the graph (replacing one of the same name) and returns it. */
    public TensorProto finish() {
      String name = header.getName();
      TensorProto tensor;
      if (inline != null) {
        tensor = header.setRawData(ByteString.copyFrom(inline.array())).build();
        putInitializer(tensor);
        return tensor;
      }
      tensor =
          header
              .setDataLocation(TensorProto.DataLocation.EXTERNAL)
              .addExternalData(entry("location", DATA_FILE))
              .addExternalData(entry("offset", Long.toString(offset)))
              .addExternalData(entry("length", Long.toString(elements * size)))
              .build();
      initializers.put(name, tensor);
      spilled.add(name);
      names.add(name);
      return tensor;
    }
  }

  /**
   * A tensor's element count.
   *
   * @throws IllegalArgumentException for a negative dimension or a count beyond a long
   */
  public static long elements(TensorProto tensor) {
    long n = 1;
    for (long d : tensor.getDimsList()) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "tensor '" + tensor.getName() + "' has a negative dimension " + d);
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(
            "tensor '" + tensor.getName() + "' has more elements than can be counted");
      }
    }
    return n;
  }

  /** The elements of a small FLOAT tensor whose data is inline (as in node attributes). */
  public static float[] inlineFloats(TensorProto tensor) {
    if (tensor.getFloatDataCount() > 0) {
      float[] values = new float[tensor.getFloatDataCount()];
      for (int i = 0; i < values.length; i++) {
        values[i] = tensor.getFloatData(i);
      }
      return values;
    }
    ByteBuffer bytes = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(values);
    return values;
  }

  public static TensorProto floatTensor(String name, long[] dims, float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    return tensor(name, TensorProto.DataType.FLOAT_VALUE, dims, buffer.array());
  }

  public static TensorProto int8Tensor(String name, long[] dims, byte[] values) {
    return tensor(name, TensorProto.DataType.INT8_VALUE, dims, values);
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
   * Writes the rewritten model to the output folder: {@code model.onnx}, plus {@code
   * model.onnx.data} holding the large tensors when the model's tensors exceed {@link
   * #INLINE_LIMIT}. Returns the model file.
   */
  public Path write() {
    return write(INLINE_LIMIT);
  }

  /** As {@link #write()}, with external data above {@code inlineLimit} bytes of tensors. */
  public Path write(long inlineLimit) {
    if (outputDir == null) {
      throw new IllegalStateException("this graph was read without an output folder");
    }
    GraphProto.Builder graph = model.getGraphBuilder();
    graph.clearNode().addAllNode(nodes);
    graph.clearInitializer();
    long total = 0;
    for (TensorProto t : initializers.values()) {
      total += bytes(t);
    }
    Path file = outputDir.resolve("model.onnx");
    try {
      Files.createDirectories(outputDir);
      if (total <= inlineLimit) {
        for (TensorProto t : initializers.values()) {
          graph.addInitializer(inline(t));
        }
        writeModel(file);
        close();
        Files.deleteIfExists(outputDir.resolve(DATA_FILE));
        return file;
      }
      openSpill();
      for (TensorProto t : initializers.values()) {
        graph.addInitializer(external(t, Math.min(EXTERNAL_THRESHOLD, inlineLimit)));
      }
      spill.force(false);
      writeModel(file);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the variant to " + outputDir, e);
    } finally {
      close();
    }
  }

  private void writeModel(Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      model.build().writeTo(out);
    }
  }

  /** The tensor as the variant's data file holds it: copied there in chunks when large. */
  private TensorProto external(TensorProto t, long threshold) throws IOException {
    if (spilled.contains(t.getName())) {
      return t;
    }
    Region region = region(t);
    if (region == null && t.getRawData().isEmpty()) {
      return t; // typed fields (float_data, int64_data…): small by nature, left inline
    }
    long length = region != null ? region.length() : t.getRawData().size();
    if (length < threshold) {
      return inline(t);
    }
    long offset = align(spillEnd);
    if (region != null) {
      try (FileChannel from = FileChannel.open(region.file(), StandardOpenOption.READ)) {
        long done = 0;
        while (done < length) {
          long n =
              from.transferTo(region.offset() + done, length - done, spill.position(offset + done));
          if (n <= 0) {
            throw new IOException("the data file of '" + t.getName() + "' ended early");
          }
          done += n;
        }
      }
    } else {
      writeFully(spill, t.getRawData().asReadOnlyByteBuffer(), offset);
    }
    spillEnd = offset + length;
    return t.toBuilder()
        .clearRawData()
        .clearExternalData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", DATA_FILE))
        .addExternalData(entry("offset", Long.toString(offset)))
        .addExternalData(entry("length", Long.toString(length)))
        .build();
  }

  /** A tensor with its bytes inline, read from its file if need be (small tensors only). */
  TensorProto inlined(TensorProto t) {
    try {
      return inline(t);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the data of " + t.getName(), e);
    }
  }

  /** A tensor with its bytes inline (read from external data when needed). */
  private TensorProto inline(TensorProto t) throws IOException {
    Region region = region(t);
    if (region == null) {
      return t;
    }
    ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(region.length()));
    if (spilled.contains(t.getName())) {
      readFully(spill, bytes, region.offset());
    } else {
      try (FileChannel from = FileChannel.open(region.file(), StandardOpenOption.READ)) {
        readFully(from, bytes, region.offset());
      }
    }
    return t.toBuilder()
        .clearExternalData()
        .clearDataLocation()
        .setRawData(ByteString.copyFrom(bytes.flip()))
        .build();
  }

  /** Closes the variant's data file (a pass that failed leaves it to its folder's removal). */
  @Override
  public void close() {
    if (spill != null) {
      try {
        spill.close();
      } catch (IOException e) {
        // nothing more is written
      }
    }
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }
}
