package dev.modelhub.support;

import com.google.protobuf.ByteString;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.proto.VersionDef;

/**
 * TensorFlow SavedModels written from TensorFlow's own protos: a one-layer softmax classifier y =
 * softmax(x·W + b) whose weights are graph constants, exported with the {@code serve} tag and a
 * {@code serving_default} signature.
 */
public final class SavedModels {

  private SavedModels() {}

  public static SavedModel classifier(long seed, int inputs, int classes) {
    Random random = new Random(seed);
    GraphDef.Builder graph =
        GraphDef.newBuilder().setVersions(VersionDef.newBuilder().setProducer(1205));
    graph.addNode(
        NodeDef.newBuilder()
            .setName("x")
            .setOp("Placeholder")
            .putAttr("dtype", type(DataType.DT_FLOAT))
            .putAttr("shape", AttrValue.newBuilder().setShape(shape(-1, inputs)).build()));
    graph.addNode(constant("W", floats(random, inputs * classes), inputs, classes));
    graph.addNode(constant("b", floats(random, classes), classes));
    graph.addNode(
        NodeDef.newBuilder()
            .setName("matmul")
            .setOp("MatMul")
            .addInput("x")
            .addInput("W")
            .putAttr("T", type(DataType.DT_FLOAT)));
    graph.addNode(
        NodeDef.newBuilder()
            .setName("logits")
            .setOp("BiasAdd")
            .addInput("matmul")
            .addInput("b")
            .putAttr("T", type(DataType.DT_FLOAT)));
    graph.addNode(
        NodeDef.newBuilder()
            .setName("probabilities")
            .setOp("Softmax")
            .addInput("logits")
            .putAttr("T", type(DataType.DT_FLOAT)));
    return servingModel(
        graph,
        "x",
        info("x:0", -1, inputs),
        "probabilities",
        info("probabilities:0", -1, classes),
        MetaGraphDef.MetaInfoDef.newBuilder()
            .addTags("serve")
            .setTensorflowVersion("2.18.0")
            .setTensorflowGitVersion("modelhub-tests"));
  }

  /**
   * The same network as an ONNX MLP of Gemm (transB=1) and Relu nodes, such as PyTorch exports:
   * input "input" [batch, in], output "logits". Weights become graph constants.
   */
  public static SavedModel fromOnnxMlp(ModelProto onnx) {
    Map<String, dev.modelhub.onnx.TensorProto> weights = new LinkedHashMap<>();
    onnx.getGraph().getInitializerList().forEach(t -> weights.put(t.getName(), t));
    long inputs =
        onnx.getGraph().getInput(0).getType().getTensorType().getShape().getDim(1).getDimValue();
    GraphDef.Builder graph =
        GraphDef.newBuilder().setVersions(VersionDef.newBuilder().setProducer(1205));
    graph.addNode(
        NodeDef.newBuilder()
            .setName("input")
            .setOp("Placeholder")
            .putAttr("dtype", type(DataType.DT_FLOAT))
            .putAttr("shape", AttrValue.newBuilder().setShape(shape(-1, inputs)).build()));
    String current = "input";
    int layer = 0;
    long outputs = inputs;
    for (NodeProto node : onnx.getGraph().getNodeList()) {
      switch (node.getOpType()) {
        case "Gemm" -> {
          dev.modelhub.onnx.TensorProto w = weights.get(node.getInput(1));
          dev.modelhub.onnx.TensorProto b = weights.get(node.getInput(2));
          boolean transB =
              node.getAttributeList().stream()
                  .anyMatch(a -> a.getName().equals("transB") && a.getI() == 1);
          outputs = transB ? w.getDims(0) : w.getDims(1);
          graph.addNode(constant("w" + layer, rawFloats(w), w.getDims(0), w.getDims(1)));
          graph.addNode(constant("b" + layer, rawFloats(b), b.getDims(0)));
          graph.addNode(
              NodeDef.newBuilder()
                  .setName("matmul" + layer)
                  .setOp("MatMul")
                  .addInput(current)
                  .addInput("w" + layer)
                  .putAttr("T", type(DataType.DT_FLOAT))
                  .putAttr("transpose_b", AttrValue.newBuilder().setB(transB).build()));
          graph.addNode(
              NodeDef.newBuilder()
                  .setName("dense" + layer)
                  .setOp("BiasAdd")
                  .addInput("matmul" + layer)
                  .addInput("b" + layer)
                  .putAttr("T", type(DataType.DT_FLOAT)));
          current = "dense" + layer;
          layer++;
        }
        case "Relu" -> {
          graph.addNode(
              NodeDef.newBuilder()
                  .setName("relu" + layer)
                  .setOp("Relu")
                  .addInput(current)
                  .putAttr("T", type(DataType.DT_FLOAT)));
          current = "relu" + layer;
        }
        default -> throw new IllegalArgumentException("unsupported op " + node.getOpType());
      }
    }
    graph.addNode(
        NodeDef.newBuilder()
            .setName("logits")
            .setOp("Identity")
            .addInput(current)
            .putAttr("T", type(DataType.DT_FLOAT)));
    return servingModel(
        graph,
        "input",
        info("input:0", -1, inputs),
        "logits",
        info("logits:0", -1, outputs),
        MetaGraphDef.MetaInfoDef.newBuilder().addTags("serve").setTensorflowVersion("2.10.1"));
  }

  /**
   * A SavedModel whose one "serve" graph has a serving_default signature of one input, one output.
   */
  private static SavedModel servingModel(
      GraphDef.Builder graph,
      String inputName,
      TensorInfo input,
      String outputName,
      TensorInfo output,
      MetaGraphDef.MetaInfoDef.Builder metaInfo) {
    SignatureDef signature =
        SignatureDef.newBuilder()
            .putInputs(inputName, input)
            .putOutputs(outputName, output)
            .setMethodName("tensorflow/serving/predict")
            .build();
    MetaGraphDef meta =
        MetaGraphDef.newBuilder()
            .setMetaInfoDef(metaInfo)
            .setGraphDef(graph)
            .putSignatureDef("serving_default", signature)
            .build();
    return SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(meta).build();
  }

  private static float[] rawFloats(dev.modelhub.onnx.TensorProto tensor) {
    if (tensor.getFloatDataCount() > 0) {
      float[] values = new float[tensor.getFloatDataCount()];
      for (int i = 0; i < values.length; i++) {
        values[i] = tensor.getFloatData(i);
      }
      return values;
    }
    FloatBuffer buffer =
        tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] values = new float[buffer.remaining()];
    buffer.get(values);
    return values;
  }

  /** The SavedModel as the entries of an archive rooted at {@code folder}/. */
  public static Map<String, byte[]> entries(String folder, SavedModel model) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put(folder + "/", new byte[0]);
    entries.put(folder + "/saved_model.pb", model.toByteArray());
    entries.put(folder + "/variables/", new byte[0]);
    return entries;
  }

  /**
   * A SavedModel without inputs: its serving_default signature has one output, "table", the
   * constant FP32 [[1.5, -2], [0, 4]] (the twin of {@code OnnxModels.constantTable()}).
   */
  public static SavedModel constantTable() {
    GraphDef.Builder graph =
        GraphDef.newBuilder().setVersions(VersionDef.newBuilder().setProducer(1205));
    graph.addNode(constant("table", new float[] {1.5f, -2f, 0f, 4f}, 2, 2));
    SignatureDef signature =
        SignatureDef.newBuilder()
            .putOutputs("table", info("table:0", 2, 2))
            .setMethodName("tensorflow/serving/predict")
            .build();
    MetaGraphDef meta =
        MetaGraphDef.newBuilder()
            .setMetaInfoDef(
                MetaGraphDef.MetaInfoDef.newBuilder()
                    .addTags("serve")
                    .setTensorflowVersion("2.18.0"))
            .setGraphDef(graph)
            .putSignatureDef("serving_default", signature)
            .build();
    return SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(meta).build();
  }

  private static NodeDef constant(String name, float[] values, long... dims) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buffer.putFloat(v);
    }
    TensorProto tensor =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(shape(dims))
            .setTensorContent(ByteString.copyFrom(buffer.array()))
            .build();
    return NodeDef.newBuilder()
        .setName(name)
        .setOp("Const")
        .putAttr("dtype", type(DataType.DT_FLOAT))
        .putAttr("value", AttrValue.newBuilder().setTensor(tensor).build())
        .build();
  }

  private static float[] floats(Random random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) (random.nextGaussian() * 0.1);
    }
    return values;
  }

  private static TensorInfo info(String tensor, long... dims) {
    return TensorInfo.newBuilder()
        .setName(tensor)
        .setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape(dims))
        .build();
  }

  private static AttrValue type(DataType type) {
    return AttrValue.newBuilder().setType(type).build();
  }

  private static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return shape.build();
  }
}
