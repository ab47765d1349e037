package dev.modelhub.support;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelhub.onnx.AttributeProto;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.OperatorSetIdProto;
import dev.modelhub.onnx.StringStringEntryProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.onnx.TensorShapeProto;
import dev.modelhub.onnx.TypeProto;
import dev.modelhub.onnx.ValueInfoProto;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Random;

/** ONNX models written through Modelhub's generated ONNX classes. */
public final class OnnxModels {

  private OnnxModels() {}

  /**
   * An MLP: input "input" FP32 [batch, sizes[0]], Gemm+Relu layers, output "logits" FP32 [batch,
   * sizes[last]].
   */
  public static ModelProto mlp(long seed, int... sizes) {
    Random random = new Random(seed);
    GraphProto.Builder graph = GraphProto.newBuilder().setName("mlp");
    graph.addInput(tensorValue("input", TensorProto.DataType.FLOAT_VALUE, -1, sizes[0]));
    String current = "input";
    for (int layer = 0; layer + 1 < sizes.length; layer++) {
      int in = sizes[layer];
      int out = sizes[layer + 1];
      String w = "w" + layer;
      String b = "b" + layer;
      graph.addInitializer(floats(w, random, in, out));
      graph.addInitializer(floats(b, random, out));
      boolean last = layer + 2 == sizes.length;
      String gemmOut = last ? "logits" : "h" + layer;
      graph.addNode(
          NodeProto.newBuilder()
              .setName("gemm" + layer)
              .setOpType("Gemm")
              .addInput(current)
              .addInput(w)
              .addInput(b)
              .addOutput(gemmOut));
      current = gemmOut;
      if (!last) {
        String relu = "relu" + layer;
        graph.addNode(
            NodeProto.newBuilder()
                .setName(relu)
                .setOpType("Relu")
                .addInput(current)
                .addOutput(relu));
        current = relu;
      }
    }
    graph.addOutput(
        tensorValue("logits", TensorProto.DataType.FLOAT_VALUE, -1, sizes[sizes.length - 1]));
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("modelhub-tests")
        .setProducerVersion("1")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(graph)
        .build();
  }

  /**
   * A model with two inputs of two types: "pixels" FP32 [batch, 64] and "offset" INT64 [batch, 1];
   * logits = (pixels + offset) · W, W [64, 10] from {@code seed}. Its data is {@code
   * data/digits-two-inputs.npz}.
   */
  public static ModelProto twoInputs(long seed) {
    GraphProto.Builder graph = GraphProto.newBuilder().setName("two-inputs");
    graph.addInput(tensorValue("pixels", TensorProto.DataType.FLOAT_VALUE, -1, 64));
    graph.addInput(tensorValue("offset", TensorProto.DataType.INT64_VALUE, -1, 1));
    graph.addInitializer(floats("w", new Random(seed), 64, 10));
    graph.addNode(
        NodeProto.newBuilder()
            .setName("cast")
            .setOpType("Cast")
            .addInput("offset")
            .addOutput("offset_float")
            .addAttribute(
                AttributeProto.newBuilder()
                    .setName("to")
                    .setType(AttributeProto.AttributeType.INT)
                    .setI(TensorProto.DataType.FLOAT_VALUE)));
    graph.addNode(
        NodeProto.newBuilder()
            .setName("shift")
            .setOpType("Add")
            .addInput("pixels")
            .addInput("offset_float")
            .addOutput("shifted"));
    graph.addNode(
        NodeProto.newBuilder()
            .setName("project")
            .setOpType("MatMul")
            .addInput("shifted")
            .addInput("w")
            .addOutput("logits"));
    graph.addOutput(tensorValue("logits", TensorProto.DataType.FLOAT_VALUE, -1, 10));
    return opset13(graph);
  }

  /**
   * {@code quotient = numerator / divisor} on INT32 tensors [-1, 2]: integer division, which ONNX
   * Runtime computes with the CPU's divide instruction, so a zero divisor raises SIGFPE in the
   * process running the engine (ONNX's own operator tests have such models).
   */
  /** A model without inputs: one Constant node, output "table" FP32 [2, 2] = 1.5, -2, 0, 4. */
  public static ModelProto constantTable() {
    GraphProto.Builder graph = GraphProto.newBuilder().setName("constant-table");
    TensorProto value =
        TensorProto.newBuilder()
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .addDims(2)
            .addDims(2)
            .addFloatData(1.5f)
            .addFloatData(-2f)
            .addFloatData(0f)
            .addFloatData(4f)
            .build();
    graph.addNode(
        NodeProto.newBuilder()
            .setOpType("Constant")
            .addOutput("table")
            .addAttribute(
                AttributeProto.newBuilder()
                    .setName("value")
                    .setType(AttributeProto.AttributeType.TENSOR)
                    .setT(value)));
    graph.addOutput(tensorValue("table", TensorProto.DataType.FLOAT_VALUE, 2, 2));
    return opset13(graph);
  }

  public static ModelProto integerDivide() {
    GraphProto.Builder graph = GraphProto.newBuilder().setName("integer-divide");
    graph.addInput(tensorValue("numerator", TensorProto.DataType.INT32_VALUE, -1, 2));
    graph.addInput(tensorValue("divisor", TensorProto.DataType.INT32_VALUE, -1, 2));
    graph.addNode(
        NodeProto.newBuilder()
            .setName("divide")
            .setOpType("Div")
            .addInput("numerator")
            .addInput("divisor")
            .addOutput("quotient"));
    graph.addOutput(tensorValue("quotient", TensorProto.DataType.INT32_VALUE, -1, 2));
    return opset13(graph);
  }

  /**
   * Two outputs: {@code y = x · W} (FP32 [-1, 4] by a 4×3 initializer, for passes to work on) and
   * {@code quotient = numerator / divisor} (INT32 [-1, 2]), so that evaluating it on INT32_MIN / -1
   * raises SIGFPE in the process running ONNX Runtime.
   */
  public static ModelProto projectAndDivide() {
    GraphProto.Builder graph = GraphProto.newBuilder().setName("project-and-divide");
    graph.addInput(tensorValue("x", TensorProto.DataType.FLOAT_VALUE, -1, 4));
    graph.addInput(tensorValue("numerator", TensorProto.DataType.INT32_VALUE, -1, 2));
    graph.addInput(tensorValue("divisor", TensorProto.DataType.INT32_VALUE, -1, 2));
    graph.addInitializer(floats("w", new Random(3), 4, 3));
    graph.addNode(
        NodeProto.newBuilder().setOpType("MatMul").addInput("x").addInput("w").addOutput("y"));
    graph.addNode(
        NodeProto.newBuilder()
            .setOpType("Div")
            .addInput("numerator")
            .addInput("divisor")
            .addOutput("quotient"));
    graph.addOutput(tensorValue("y", TensorProto.DataType.FLOAT_VALUE, -1, 3));
    graph.addOutput(tensorValue("quotient", TensorProto.DataType.INT32_VALUE, -1, 2));
    return opset13(graph);
  }

  /** A model of {@code graph} at IR version 8, default opset 13. */
  private static ModelProto opset13(GraphProto.Builder graph) {
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("modelhub-tests")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(graph)
        .build();
  }

  /**
   * A model passing each input straight to an output: input "{name}" → output "{name}_out", one per
   * entry of {@code types} (name → ONNX element type), shape [-1, 2].
   */
  public static ModelProto identity(Map<String, Integer> types) {
    GraphProto.Builder graph = GraphProto.newBuilder().setName("identity");
    types.forEach(
        (name, type) -> {
          graph.addInput(tensorValue(name, type, -1, 2));
          graph.addOutput(tensorValue(name + "_out", type, -1, 2));
          graph.addNode(
              NodeProto.newBuilder().setOpType("Identity").addInput(name).addOutput(name + "_out"));
        });
    return opset13(graph);
  }

  /**
   * A well-formed model that no engine runs: its one node is the operator "Frobnicate", which ONNX
   * does not define. Upload accepts it (it is a complete ONNX graph); ONNX Runtime refuses it.
   */
  public static ModelProto unknownOperator() {
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .setName("unknown")
            .addInput(tensorValue("input", TensorProto.DataType.FLOAT_VALUE, -1, 2))
            .addOutput(tensorValue("output", TensorProto.DataType.FLOAT_VALUE, -1, 2))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("Frobnicate")
                    .addInput("input")
                    .addOutput("output"));
    return opset13(graph);
  }

  /**
   * A deliberately slow model: {@code layers} MatMuls of its input [batch, width] by one identity
   * matrix, so the output equals the input and a wide batch costs layers × batch × width² work.
   */
  public static ModelProto slowIdentity(int width, int layers) {
    ByteBuffer identity = ByteBuffer.allocate(width * width * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < width; i++) {
      for (int j = 0; j < width; j++) {
        identity.putFloat(i == j ? 1f : 0f);
      }
    }
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .setName("slow")
            .addInput(tensorValue("input", TensorProto.DataType.FLOAT_VALUE, -1, width))
            .addOutput(tensorValue("output", TensorProto.DataType.FLOAT_VALUE, -1, width))
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("w")
                    .setDataType(TensorProto.DataType.FLOAT_VALUE)
                    .addDims(width)
                    .addDims(width)
                    .setRawData(ByteString.copyFrom(identity.array())));
    String current = "input";
    for (int i = 0; i < layers; i++) {
      String next = i + 1 == layers ? "output" : "h" + i;
      graph.addNode(
          NodeProto.newBuilder()
              .setOpType("MatMul")
              .addInput(current)
              .addInput("w")
              .addOutput(next));
      current = next;
    }
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(graph)
        .build();
  }

  /** The digits MLP with its first weight matrix cut short: inspection passes, loading fails. */
  public static byte[] corruptedDigits() {
    try {
      ModelProto.Builder broken =
          ModelProto.parseFrom(Fixtures.bytes("digits_mlp.onnx")).toBuilder();
      TensorProto.Builder weight = broken.getGraphBuilder().getInitializerBuilder(0);
      ByteString raw = weight.getRawData();
      weight.setRawData(raw.substring(0, raw.size() / 2));
      return broken.build().toByteArray();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The number of weights {@link #mlp} creates. */
  public static long mlpParameters(int... sizes) {
    long n = 0;
    for (int i = 0; i + 1 < sizes.length; i++) {
      n += (long) sizes[i] * sizes[i + 1] + sizes[i + 1];
    }
    return n;
  }

  /** Moves every initializer's bytes to {@code location} (as onnx's external data does). */
  public static ExternalModel withExternalData(ModelProto model, String location) {
    ModelProto.Builder builder = model.toBuilder();
    GraphProto.Builder graph = builder.getGraphBuilder();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    for (TensorProto.Builder tensor : graph.getInitializerBuilderList()) {
      byte[] bytes = tensor.getRawData().toByteArray();
      long offset = data.size();
      data.writeBytes(bytes);
      tensor
          .clearRawData()
          .setDataLocation(TensorProto.DataLocation.EXTERNAL)
          .addExternalData(entry("location", location))
          .addExternalData(entry("offset", Long.toString(offset)))
          .addExternalData(entry("length", Integer.toString(bytes.length)));
    }
    return new ExternalModel(builder.build(), data.toByteArray());
  }

  /** A model whose initializers live in a separate data file. */
  public record ExternalModel(ModelProto model, byte[] data) {}

  public static ValueInfoProto tensorValue(String name, int elemType, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long dim : dims) {
      shape.addDim(
          dim < 0
              ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
              : TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
        .build();
  }

  private static TensorProto floats(String name, Random random, int... dims) {
    int count = 1;
    for (int d : dims) {
      count *= d;
    }
    ByteBuffer buffer = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      buffer.putFloat((float) (random.nextGaussian() * 0.1));
    }
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .setRawData(ByteString.copyFrom(buffer.array()));
    for (int d : dims) {
      tensor.addDims(d);
    }
    return tensor.build();
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  /**
   * A model that loops: y = x after {@code M} turns of a Loop whose body passes its state through.
   * With {@code tripCount} ≥ 0 the count is a constant (the model is as slow as that, warm-up
   * included); with -1 it is the INT64 scalar input "n", so each request chooses how long it runs
   * and a zero warm-up input returns at once.
   */
  public static ModelProto loop(long tripCount) {
    GraphProto body =
        GraphProto.newBuilder()
            .setName("body")
            .addInput(tensorValue("i", TensorProto.DataType.INT64_VALUE))
            .addInput(tensorValue("c", TensorProto.DataType.BOOL_VALUE))
            .addInput(tensorValue("v", TensorProto.DataType.FLOAT_VALUE, 1))
            .addOutput(tensorValue("c_out", TensorProto.DataType.BOOL_VALUE))
            .addOutput(tensorValue("v_out", TensorProto.DataType.FLOAT_VALUE, 1))
            .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("c").addOutput("c_out"))
            .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("v").addOutput("v_out"))
            .build();
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .setName("loop")
            .addInput(tensorValue("x", TensorProto.DataType.FLOAT_VALUE, 1))
            .addOutput(tensorValue("y", TensorProto.DataType.FLOAT_VALUE, 1))
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("true")
                    .setDataType(TensorProto.DataType.BOOL_VALUE)
                    .setRawData(ByteString.copyFrom(new byte[] {1})));
    if (tripCount < 0) {
      graph.addInput(tensorValue("n", TensorProto.DataType.INT64_VALUE));
    } else {
      graph.addInitializer(
          TensorProto.newBuilder()
              .setName("n")
              .setDataType(TensorProto.DataType.INT64_VALUE)
              .addInt64Data(tripCount));
    }
    graph.addNode(
        NodeProto.newBuilder()
            .setOpType("Loop")
            .addInput("n")
            .addInput("true")
            .addInput("x")
            .addOutput("y")
            .addAttribute(
                AttributeProto.newBuilder()
                    .setName("body")
                    .setType(AttributeProto.AttributeType.GRAPH)
                    .setG(body)));
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(graph)
        .build();
  }
}
