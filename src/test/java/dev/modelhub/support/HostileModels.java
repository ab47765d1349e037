package dev.modelhub.support;

import com.google.protobuf.ByteString;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * ONNX models built to attack the server: a small identity model (x → y) with one tensor whose
 * bytes live at an external location, in each place an ONNX model can hold a tensor. With a good
 * location the model is harmless; with a hostile one an engine would read any file it names.
 */
public final class HostileModels {

  private HostileModels() {}

  /** The data file next to the model in archives, 64 bytes of floats. */
  public static final String DATA_FILE = "weights.bin";

  public static final byte[] DATA = new byte[64];

  /** Every place a tensor can sit, by name: a model with an external tensor there. */
  public static Map<String, Function<TensorProto, ModelProto>> places() {
    Map<String, Function<TensorProto, ModelProto>> places = new LinkedHashMap<>();
    places.put("initializer", t -> model(graph().addInitializer(t)));
    places.put("constant", t -> model(graph().addNode(constant("c", t))));
    places.put(
        "tensors-attribute",
        t ->
            model(
                graph()
                    .addNode(
                        NodeProto.newBuilder()
                            .setOpType("Identity")
                            .addInput("x")
                            .addOutput("z")
                            .addAttribute(
                                AttributeProto.newBuilder()
                                    .setName("extra")
                                    .setType(AttributeProto.AttributeType.TENSORS)
                                    .addTensors(t)))));
    places.put(
        "sparse-initializer-values",
        t -> model(graph().addSparseInitializer(sparse(t, indices()))));
    places.put(
        "sparse-initializer-indices",
        t ->
            model(
                graph()
                    .addSparseInitializer(sparse(values(), t.toBuilder().setDataType(7).build()))));
    places.put(
        "sparse-attribute",
        t ->
            model(
                graph()
                    .addNode(
                        NodeProto.newBuilder()
                            .setOpType("Constant")
                            .addOutput("s")
                            .addAttribute(
                                AttributeProto.newBuilder()
                                    .setName("sparse_value")
                                    .setType(AttributeProto.AttributeType.SPARSE_TENSOR)
                                    .setSparseTensor(sparse(t, indices()))))));
    places.put("if-subgraph", t -> model(graph().addNode(ifNode("if1", subgraph(t)))));
    places.put(
        "loop-body",
        t ->
            model(
                graph()
                    .addNode(
                        NodeProto.newBuilder()
                            .setOpType("Loop")
                            .addInput("")
                            .addInput("")
                            .addOutput("unused")
                            .addAttribute(
                                AttributeProto.newBuilder()
                                    .setName("body")
                                    .setType(AttributeProto.AttributeType.GRAPH)
                                    .setG(
                                        GraphProto.newBuilder()
                                            .setName("body")
                                            .addNode(constant("k", t)))))));
    places.put(
        "nested-subgraph",
        t -> {
          GraphProto inner = subgraph(t);
          for (int depth = 0; depth < 3; depth++) {
            inner =
                GraphProto.newBuilder()
                    .setName("level" + depth)
                    .addNode(ifNode("if-level" + depth, inner))
                    .build();
          }
          return model(graph().addNode(ifNode("outer", inner)));
        });
    places.put(
        "function-node",
        t ->
            model(graph()).toBuilder()
                .addFunctions(
                    FunctionProto.newBuilder()
                        .setName("f")
                        .setDomain("custom")
                        .addNode(constant("fc", t)))
                .build());
    places.put(
        "function-attribute-default",
        t ->
            model(graph()).toBuilder()
                .addFunctions(
                    FunctionProto.newBuilder()
                        .setName("g")
                        .setDomain("custom")
                        .addAttributeProto(
                            AttributeProto.newBuilder()
                                .setName("w")
                                .setType(AttributeProto.AttributeType.TENSOR)
                                .setT(t)))
                .build());
    places.put(
        "training-initialization",
        t ->
            model(graph()).toBuilder()
                .addTrainingInfo(
                    TrainingInfoProto.newBuilder()
                        .setInitialization(
                            GraphProto.newBuilder().setName("init").addInitializer(t)))
                .build());
    places.put(
        "training-algorithm",
        t ->
            model(graph()).toBuilder()
                .addTrainingInfo(
                    TrainingInfoProto.newBuilder()
                        .setAlgorithm(
                            GraphProto.newBuilder().setName("algo").addNode(constant("a", t))))
                .build());
    return places;
  }

  /**
   * A 16-float tensor whose bytes are at {@code location} (offset and length as given, or none).
   */
  public static TensorProto external(String location, String offset, String length) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName("w")
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .addDims(16)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", location));
    if (offset != null) {
      tensor.addExternalData(entry("offset", offset));
    }
    if (length != null) {
      tensor.addExternalData(entry("length", length));
    }
    return tensor.build();
  }

  /** The hostile locations, each with its offset and length: none of them may be accepted. */
  public static List<String[]> hostileLocations() {
    return List.of(
        new String[] {"../../../../../../etc/passwd", null, null},
        new String[] {"/etc/passwd", null, null},
        new String[] {"C:\\Windows\\win.ini", null, null},
        new String[] {"sub/../../outside.bin", null, null},
        new String[] {"..\\..\\etc\\passwd", null, null},
        new String[] {"weights.bin\u0000.png", null, null},
        new String[] {"missing.bin", null, null},
        new String[] {DATA_FILE, "60", "64"},
        new String[] {DATA_FILE, "-8", null},
        new String[] {DATA_FILE, "9223372036854775807", "16"},
        new String[] {DATA_FILE, "0x10", null},
        new String[] {"", null, null});
  }

  private static GraphProto.Builder graph() {
    return GraphProto.newBuilder()
        .setName("hostile")
        .addInput(OnnxModels.tensorValue("x", TensorProto.DataType.FLOAT_VALUE, -1, 4))
        .addOutput(OnnxModels.tensorValue("y", TensorProto.DataType.FLOAT_VALUE, -1, 4))
        .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("x").addOutput("y"));
  }

  private static ModelProto model(GraphProto.Builder graph) {
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(graph)
        .build();
  }

  private static NodeProto constant(String output, TensorProto value) {
    return NodeProto.newBuilder()
        .setOpType("Constant")
        .setName(output)
        .addOutput(output)
        .addAttribute(
            AttributeProto.newBuilder()
                .setName("value")
                .setType(AttributeProto.AttributeType.TENSOR)
                .setT(value))
        .build();
  }

  private static GraphProto subgraph(TensorProto tensor) {
    return GraphProto.newBuilder().setName("branch").addInitializer(tensor).build();
  }

  private static NodeProto ifNode(String name, GraphProto branch) {
    return NodeProto.newBuilder()
        .setOpType("If")
        .setName(name)
        .addInput("cond")
        .addOutput(name + "-out")
        .addAttribute(
            AttributeProto.newBuilder()
                .setName("then_branch")
                .setType(AttributeProto.AttributeType.GRAPH)
                .setG(branch))
        .addAttribute(
            AttributeProto.newBuilder()
                .setName("else_branch")
                .setType(AttributeProto.AttributeType.GRAPH)
                .setG(GraphProto.newBuilder().setName("empty")))
        .build();
  }

  private static SparseTensorProto sparse(TensorProto values, TensorProto indices) {
    return SparseTensorProto.newBuilder()
        .setValues(values.toBuilder().clearDims().addDims(16))
        .setIndices(indices)
        .addDims(64)
        .build();
  }

  private static TensorProto values() {
    ByteBuffer floats = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    return TensorProto.newBuilder()
        .setName("v")
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(16)
        .setRawData(ByteString.copyFrom(floats.array()))
        .build();
  }

  private static TensorProto indices() {
    ByteBuffer longs = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 16; i++) {
      longs.putLong(i * 4L);
    }
    return TensorProto.newBuilder()
        .setName("i")
        .setDataType(TensorProto.DataType.INT64_VALUE)
        .addDims(16)
        .setRawData(ByteString.copyFrom(longs.array()))
        .build();
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }
}
