package dev.modelhub.optimize.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import com.google.protobuf.ByteString;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.onnx.AttributeProto;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.OperatorSetIdProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.onnx.TensorShapeProto;
import dev.modelhub.onnx.TypeProto;
import dev.modelhub.onnx.ValueInfoProto;
import dev.modelhub.optimize.PassParameters;
import dev.modelhub.optimize.StudentType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A distillation student for one teacher signature: its layers and parameter shapes (known at
 * submit, without an engine), its forward pass on DJL's NDArrays (for training), and its export as
 * an ONNX graph of Gemm, Relu, Conv, MaxPool, Flatten, Transpose and Reshape with the teacher's
 * input and output names, types and shapes.
 *
 * <p>Dense weights are kept as [out, in] (Gemm with transB = 1, as PyTorch exports), convolution
 * kernels as [out, in, k, k] (ONNX's and DJL's layout); images enter the convolutions as NCHW.
 */
final class StudentNetwork {

  /** How the teacher's input is laid out. */
  enum Layout {
    /** Any shape: flattened into one feature vector per sample. */
    FLAT,
    /** [C, H, W] per sample. */
    NCHW,
    /** [H, W, C] per sample. */
    NHWC,
    /** [H, W] per sample: one channel. */
    HW
  }

  private final StudentType type;
  private final Layout layout;
  private final long[] inputSample;
  private final int features;
  private final int classes;
  private final int inChannels;
  private final int height;
  private final int width;
  private final List<Integer> channels;
  private final int kernel;
  private final List<Integer> hidden;
  private final List<String> names = new ArrayList<>();
  private final List<long[]> shapes = new ArrayList<>();

  private StudentNetwork(PassParameters.Student spec, TensorSpec input, TensorSpec output) {
    this.type = spec.type();
    this.inputSample = sampleShape(input, "input '" + input.name() + "'");
    this.features = Math.toIntExact(product(inputSample));
    long[] outputSample = sampleShape(output, "output '" + output.name() + "'");
    long outputs = product(outputSample);
    if (outputs < 2) {
      throw new IllegalArgumentException(
          "the teacher's output '"
              + output.name()
              + "' holds "
              + outputs
              + " value per sample; distillation needs class scores (at least 2)");
    }
    this.classes = Math.toIntExact(outputs);
    this.hidden = spec.hidden() == null ? List.of() : spec.hidden();
    if (type == StudentType.CNN) {
      int rank = inputSample.length;
      if (rank == 2) {
        layout = Layout.HW;
        inChannels = 1;
        height = (int) inputSample[0];
        width = (int) inputSample[1];
      } else if (rank == 3 && inputSample[0] <= 4) {
        layout = Layout.NCHW;
        inChannels = (int) inputSample[0];
        height = (int) inputSample[1];
        width = (int) inputSample[2];
      } else if (rank == 3 && inputSample[2] <= 4) {
        layout = Layout.NHWC;
        height = (int) inputSample[0];
        width = (int) inputSample[1];
        inChannels = (int) inputSample[2];
      } else {
        throw new IllegalArgumentException(
            "a cnn student needs an image-shaped input ([batch, C, H, W] or [batch, H, W, C]"
                + " with at most 4 channels, or [batch, H, W]); the teacher's input '"
                + input.name()
                + "' is "
                + input.shape());
      }
      this.channels = spec.channels();
      this.kernel = spec.kernel();
      int in = inChannels;
      int h = height;
      int w = width;
      for (int i = 0; i < channels.size(); i++) {
        add("conv" + i + ".weight", channels.get(i), in, kernel, kernel);
        add("conv" + i + ".bias", channels.get(i));
        in = channels.get(i);
        if (h >= 2 && w >= 2) {
          h /= 2;
          w /= 2;
        }
      }
      addDense(Math.multiplyExact(Math.multiplyExact(in, h), w));
    } else {
      layout = Layout.FLAT;
      inChannels = 0;
      height = 0;
      width = 0;
      channels = List.of();
      kernel = 0;
      addDense(features);
    }
  }

  /**
   * The student {@code spec} (mlp or cnn; auto resolved first) for a teacher with this input and
   * output.
   *
   * @throws IllegalArgumentException the spec does not fit the signature (the message says why)
   */
  static StudentNetwork of(PassParameters.Student spec, TensorSpec input, TensorSpec output) {
    if (spec.type() == StudentType.AUTO && spec.hidden() == null) {
      throw new IllegalStateException("an auto student is resolved before it is built");
    }
    return new StudentNetwork(spec, input, output);
  }

  /**
   * An auto student: one hidden dense layer as wide as {@code parameterRatio} of the teacher's
   * parameters allows ({@code (features + classes + 1) · h + classes ≤ ratio · teacher}).
   */
  static PassParameters.Student resolveAuto(
      PassParameters.Student spec, TensorSpec input, TensorSpec output, long teacherParameters) {
    long features = product(sampleShape(input, "input '" + input.name() + "'"));
    long classes = product(sampleShape(output, "output '" + output.name() + "'"));
    double budget = spec.parameterRatio() * teacherParameters - classes;
    long width = (long) Math.floor(budget / (features + classes + 1));
    if (width < 1) {
      throw new IllegalArgumentException(
          "parameterRatio "
              + spec.parameterRatio()
              + " of the teacher's "
              + teacherParameters
              + " parameters leaves no room for a hidden layer over "
              + features
              + " inputs and "
              + classes
              + " classes; raise it or give an mlp");
    }
    return new PassParameters.Student(
        StudentType.AUTO, List.of((int) Math.min(width, 65536)), null, null, spec.parameterRatio());
  }

  private void addDense(int in) {
    int width = in;
    for (int i = 0; i < hidden.size(); i++) {
      add("dense" + i + ".weight", hidden.get(i), width);
      add("dense" + i + ".bias", hidden.get(i));
      width = hidden.get(i);
    }
    add("output.weight", classes, width);
    add("output.bias", classes);
  }

  private void add(String name, long... shape) {
    names.add(name);
    shapes.add(shape);
  }

  /** The shape of one sample: the dimensions after the batch, each known. */
  static long[] sampleShape(TensorSpec tensor, String what) {
    List<Long> dims = tensor.shape();
    if (dims == null || dims.isEmpty()) {
      throw new IllegalArgumentException(
          "the teacher's " + what + " has no batch dimension (its shape is " + dims + ")");
    }
    long[] sample = new long[dims.size() - 1];
    for (int i = 1; i < dims.size(); i++) {
      if (dims.get(i) < 1) {
        throw new IllegalArgumentException(
            "the teacher's "
                + what
                + " has an unknown dimension after the batch ("
                + dims
                + "); a student needs every one known");
      }
      sample[i - 1] = dims.get(i);
    }
    return sample;
  }

  static long product(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  long parameterCount() {
    long n = 0;
    for (long[] shape : shapes) {
      n = Math.addExact(n, product(shape));
    }
    return n;
  }

  List<String> parameterNames() {
    return List.copyOf(names);
  }

  List<long[]> parameterShapes() {
    return List.copyOf(shapes);
  }

  int features() {
    return features;
  }

  int classes() {
    return classes;
  }

  long[] inputSample() {
    return inputSample.clone();
  }

  Layout layout() {
    return layout;
  }

  /**
   * Initial values, as PyTorch's layers draw them: uniform in ±1/√fan-in for weights and biases,
   * from {@code seed}.
   */
  float[][] initialize(long seed) {
    Random random = new Random(seed);
    float[][] values = new float[shapes.size()][];
    for (int p = 0; p < shapes.size(); p += 2) {
      long[] weight = shapes.get(p);
      long fanIn = product(weight) / weight[0];
      double bound = 1 / Math.sqrt(fanIn);
      for (int q = p; q < p + 2; q++) {
        float[] v = new float[Math.toIntExact(product(shapes.get(q)))];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        values[q] = v;
      }
    }
    return values;
  }

  /** Class scores [n, classes] for inputs {@code x} [n, …the teacher's sample shape]. */
  NDArray forward(NDList parameters, NDArray x) {
    long n = x.getShape().get(0);
    int p = 0;
    NDArray h;
    if (type == StudentType.CNN) {
      h =
          switch (layout) {
            case HW -> x.reshape(n, 1, height, width);
            case NHWC -> x.transpose(0, 3, 1, 2);
            default -> x;
          };
      int pad = kernel / 2;
      for (int i = 0; i < channels.size(); i++) {
        h =
            Conv2d.conv2d(
                    h,
                    parameters.get(p++),
                    parameters.get(p++),
                    new Shape(1, 1),
                    new Shape(pad, pad),
                    new Shape(1, 1),
                    1)
                .singletonOrThrow();
        h = Activation.relu(h);
        if (h.getShape().get(2) >= 2 && h.getShape().get(3) >= 2) {
          h = Pool.maxPool2d(h, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
        }
      }
      h = h.reshape(n, -1);
    } else {
      h = x.reshape(n, features);
    }
    for (int i = 0; i < hidden.size(); i++) {
      h = Activation.relu(dense(h, parameters.get(p++), parameters.get(p++)));
    }
    return dense(h, parameters.get(p++), parameters.get(p));
  }

  private static NDArray dense(NDArray x, NDArray weight, NDArray bias) {
    return x.matMul(weight.transpose()).add(bias);
  }

  /**
   * The student as an ONNX model (opset 13) with the teacher's input and output names, element type
   * FP32 and shapes; weights are graph initializers.
   */
  ModelProto export(float[][] values, TensorSpec input, TensorSpec output, String docString) {
    GraphProto.Builder graph = GraphProto.newBuilder().setName("distilled-student");
    graph.addInput(valueInfo(input));
    graph.addOutput(valueInfo(output));
    for (int i = 0; i < names.size(); i++) {
      graph.addInitializer(floats(names.get(i), shapes.get(i), values[i]));
    }
    String current = input.name();
    int p = 0;
    if (type == StudentType.CNN) {
      switch (layout) {
        case HW -> {
          graph.addInitializer(longs("image.shape", -1, 1, height, width));
          current = node(graph, "Reshape", "image", List.of(current, "image.shape"), List.of());
        }
        case NHWC ->
            current =
                node(
                    graph,
                    "Transpose",
                    "to_nchw",
                    List.of(current),
                    List.of(ints("perm", 0, 3, 1, 2)));
        default -> {}
      }
      int pad = kernel / 2;
      int h = height;
      int w = width;
      for (int i = 0; i < channels.size(); i++) {
        current =
            node(
                graph,
                "Conv",
                "conv" + i,
                List.of(current, names.get(p++), names.get(p++)),
                List.of(
                    ints("kernel_shape", kernel, kernel),
                    ints("pads", pad, pad, pad, pad),
                    ints("strides", 1, 1)));
        current = node(graph, "Relu", "conv" + i + ".relu", List.of(current), List.of());
        if (h >= 2 && w >= 2) {
          current =
              node(
                  graph,
                  "MaxPool",
                  "pool" + i,
                  List.of(current),
                  List.of(ints("kernel_shape", 2, 2), ints("strides", 2, 2)));
          h /= 2;
          w /= 2;
        }
      }
      current = node(graph, "Flatten", "flatten", List.of(current), List.of(ints("axis", 1)));
    } else if (inputSample.length != 1) {
      current = node(graph, "Flatten", "flatten", List.of(current), List.of(ints("axis", 1)));
    }
    for (int i = 0; i < hidden.size(); i++) {
      current =
          node(
              graph,
              "Gemm",
              "dense" + i,
              List.of(current, names.get(p++), names.get(p++)),
              List.of(ints("transB", 1)));
      current = node(graph, "Relu", "dense" + i + ".relu", List.of(current), List.of());
    }
    boolean reshape = output.shape().size() != 2;
    NodeProto.Builder last =
        NodeProto.newBuilder()
            .setName("output")
            .setOpType("Gemm")
            .addInput(current)
            .addInput(names.get(p++))
            .addInput(names.get(p))
            .addOutput(reshape ? "output.flat" : output.name())
            .addAttribute(ints("transB", 1));
    graph.addNode(last);
    if (reshape) {
      long[] target = new long[output.shape().size()];
      target[0] = -1;
      for (int i = 1; i < target.length; i++) {
        target[i] = output.shape().get(i);
      }
      graph.addInitializer(longs("output.shape", target));
      graph.addNode(
          NodeProto.newBuilder()
              .setName("output.reshape")
              .setOpType("Reshape")
              .addInput("output.flat")
              .addInput("output.shape")
              .addOutput(output.name()));
    }
    return ModelProto.newBuilder()
        .setIrVersion(7)
        .setProducerName("modelhub")
        .setProducerVersion("distill")
        .setDocString(docString)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(graph)
        .build();
  }

  private static String node(
      GraphProto.Builder graph,
      String op,
      String name,
      List<String> inputs,
      List<AttributeProto> attributes) {
    graph.addNode(
        NodeProto.newBuilder()
            .setName(name)
            .setOpType(op)
            .addAllInput(inputs)
            .addOutput(name)
            .addAllAttribute(attributes));
    return name;
  }

  private static ValueInfoProto valueInfo(TensorSpec spec) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (int i = 0; i < spec.shape().size(); i++) {
      long d = spec.shape().get(i);
      shape.addDim(
          d >= 0
              ? TensorShapeProto.Dimension.newBuilder().setDimValue(d)
              : TensorShapeProto.Dimension.newBuilder().setDimParam(i == 0 ? "batch" : "d" + i));
    }
    if (spec.datatype() != Datatype.FP32) {
      throw new IllegalArgumentException(spec.name() + " is " + spec.datatype() + ", not FP32");
    }
    return ValueInfoProto.newBuilder()
        .setName(spec.name())
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE)
                        .setShape(shape)))
        .build();
  }

  private static TensorProto floats(String name, long[] shape, float[] values) {
    ByteBuffer bytes =
        ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .setRawData(ByteString.copyFrom(bytes.array()));
    for (long d : shape) {
      tensor.addDims(d);
    }
    return tensor.build();
  }

  private static TensorProto longs(String name, long... values) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.INT64_VALUE)
            .addDims(values.length);
    for (long v : values) {
      tensor.addInt64Data(v);
    }
    return tensor.build();
  }

  private static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder attribute = AttributeProto.newBuilder().setName(name);
    if (values.length == 1 && (name.equals("axis") || name.equals("transB"))) {
      return attribute.setType(AttributeProto.AttributeType.INT).setI(values[0]).build();
    }
    attribute.setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      attribute.addInts(v);
    }
    return attribute.build();
  }
}
