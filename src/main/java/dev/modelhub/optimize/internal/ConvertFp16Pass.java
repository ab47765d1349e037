package dev.modelhub.optimize.internal;

import com.google.protobuf.ByteString;
import dev.modelhub.common.HalfFloats;
import dev.modelhub.onnx.AttributeProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.onnx.ValueInfoProto;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * convert-fp16: float weights and computation in fp16, graph inputs and outputs kept fp32 with
 * Casts at the edges. Ops on the block list (reductions, Softmax and others that overflow or lose
 * precision in fp16) and excluded nodes run in fp32 between Casts.
 */
public final class ConvertFp16Pass implements Pass<PassParameters.ConvertFp16> {

  /** Ops whose outputs are never float, whatever their inputs. */
  private static final Set<String> NON_FLOAT_OUTPUTS =
      Set.of(
          "Shape",
          "Size",
          "ArgMax",
          "ArgMin",
          "NonZero",
          "Equal",
          "Less",
          "Greater",
          "Not",
          "And",
          "Or",
          "IsNaN",
          "IsInf",
          "NonMaxSuppression");

  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  private static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;

  @Override
  public String name() {
    return "convert-fp16";
  }

  @Override
  public Class<PassParameters.ConvertFp16> parametersType() {
    return PassParameters.ConvertFp16.class;
  }

  @Override
  public Class<? extends PassDetails> detailsType() {
    return PassDetails.HalfPrecision.class;
  }

  @Override
  public PassDetails apply(
      OnnxGraph graph, PassParameters.ConvertFp16 params, Set<String> keepFloat) {
    Set<String> blocked = new HashSet<>(params.blockList());
    Set<String> floatValues = new HashSet<>();
    Map<String, String> renamed = new HashMap<>();
    List<NodeProto> nodes = new ArrayList<>();

    // Graph inputs stay fp32; a Cast turns each into the fp16 value the graph now reads.
    for (ValueInfoProto input : graph.graph().getInputList()) {
      if (elemType(input) == FLOAT && !graph.isInitializer(input.getName())) {
        String half = graph.fresh(input.getName() + "_fp16");
        nodes.add(cast(graph, input.getName(), half, FLOAT16));
        renamed.put(input.getName(), half);
        floatValues.add(half);
      }
    }
    int converted = 0;
    for (TensorProto t : List.copyOf(graph.initializers().values())) {
      if (t.getDataType() == FLOAT) {
        toHalf(graph, t);
        floatValues.add(t.getName());
        converted++;
      }
    }
    int keptFloat = 0;
    for (NodeProto original : graph.nodes()) {
      NodeProto node = rename(original, renamed);
      boolean fp32 = blocked.contains(node.getOpType()) || Pass.excluded(node, params, keepFloat);
      boolean floatOut = producesFloat(node, floatValues);
      if (fp32) {
        keptFloat++;
        NodeProto.Builder b = node.toBuilder();
        for (int i = 0; i < node.getInputCount(); i++) {
          String in = node.getInput(i);
          if (floatValues.contains(in)) {
            String full = graph.fresh(in + "_fp32");
            nodes.add(cast(graph, in, full, FLOAT));
            b.setInput(i, full);
          }
        }
        List<NodeProto> castsBack = new ArrayList<>();
        for (int i = 0; floatOut && i < node.getOutputCount(); i++) {
          String out = node.getOutput(i);
          String full = graph.fresh(out + "_fp32");
          b.setOutput(i, full);
          castsBack.add(cast(graph, full, out, FLOAT16));
          floatValues.add(out);
        }
        nodes.add(b.build());
        nodes.addAll(castsBack);
      } else {
        nodes.add(toHalfAttributes(node));
        if (floatOut) {
          floatValues.addAll(node.getOutputList());
        }
      }
    }
    // Graph outputs stay fp32: the producer writes an fp16 value, a Cast writes the output.
    List<NodeProto> finalNodes = new ArrayList<>();
    Map<String, String> outputRename = new HashMap<>();
    for (ValueInfoProto output : graph.graph().getOutputList()) {
      if (elemType(output) == FLOAT) {
        outputRename.put(output.getName(), graph.fresh(output.getName() + "_fp16"));
      }
    }
    for (NodeProto node : nodes) {
      NodeProto.Builder b = node.toBuilder();
      for (int i = 0; i < node.getOutputCount(); i++) {
        String replacement = outputRename.get(node.getOutput(i));
        if (replacement != null) {
          b.setOutput(i, replacement);
        }
      }
      for (int i = 0; i < node.getInputCount(); i++) {
        String replacement = outputRename.get(node.getInput(i));
        if (replacement != null) {
          b.setInput(i, replacement);
        }
      }
      finalNodes.add(b.build());
    }
    outputRename.forEach((output, half) -> finalNodes.add(cast(graph, half, output, FLOAT)));
    graph.setNodes(finalNodes);
    graph.graph().clearValueInfo();
    return new PassDetails.HalfPrecision(converted, keptFloat);
  }

  private static boolean producesFloat(NodeProto node, Set<String> floatValues) {
    if (NON_FLOAT_OUTPUTS.contains(node.getOpType())) {
      return false;
    }
    if (node.getOpType().equals("Cast")) {
      long to = OnnxGraph.intAttribute(node, "to", 0);
      return to == FLOAT || to == FLOAT16;
    }
    if (node.getOpType().equals("Constant") || node.getOpType().equals("ConstantOfShape")) {
      return node.getAttributeList().stream()
          .anyMatch(
              a ->
                  a.hasT()
                      && (a.getT().getDataType() == FLOAT || a.getT().getDataType() == FLOAT16));
    }
    return node.getInputList().stream().anyMatch(floatValues::contains);
  }

  /** Casts to float and float constants inside the fp16 region become fp16. */
  private static NodeProto toHalfAttributes(NodeProto node) {
    NodeProto.Builder b = node.toBuilder();
    for (int i = 0; i < node.getAttributeCount(); i++) {
      AttributeProto a = node.getAttribute(i);
      if (node.getOpType().equals("Cast") && a.getName().equals("to") && a.getI() == FLOAT) {
        b.setAttribute(i, a.toBuilder().setI(FLOAT16));
      } else if (a.hasT() && a.getT().getDataType() == FLOAT) {
        b.setAttribute(i, a.toBuilder().setT(halfOf(a.getT(), OnnxGraph.inlineFloats(a.getT()))));
      }
    }
    return b.build();
  }

  private static NodeProto rename(NodeProto node, Map<String, String> renamed) {
    NodeProto.Builder b = node.toBuilder();
    for (int i = 0; i < node.getInputCount(); i++) {
      String replacement = renamed.get(node.getInput(i));
      if (replacement != null) {
        b.setInput(i, replacement);
      }
    }
    return b.build();
  }

  private static NodeProto cast(OnnxGraph graph, String from, String to, int type) {
    return OnnxGraph.node(
        "Cast",
        graph.fresh(to + "_Cast"),
        List.of(from),
        List.of(to),
        OnnxGraph.intAttribute("to", type));
  }

  private static int elemType(ValueInfoProto value) {
    return value.getType().hasTensorType() ? value.getType().getTensorType().getElemType() : -1;
  }

  /** Rewrites a float initializer as fp16 a block at a time (saturating at ±65504). */
  private static void toHalf(OnnxGraph graph, TensorProto t) {
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    OnnxGraph.NewTensor out = graph.create(t.getName(), FLOAT16, dims);
    try (OnnxGraph.FloatTensor in = graph.open(t)) {
      short[] half = new short[(int) Math.min(OnnxGraph.BLOCK, Math.max(in.elements(), 1))];
      in.blocks(
          (start, block, length) -> {
            for (int i = 0; i < length; i++) {
              half[i] = HalfFloats.toHalf(Math.max(-65504f, Math.min(65504f, block[i])));
            }
            out.put(start, half, 0, length);
          });
    }
    out.finish();
  }

  private static TensorProto halfOf(TensorProto t, float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buffer.putShort(HalfFloats.toHalf(Math.max(-65504f, Math.min(65504f, v))));
    }
    return t.toBuilder()
        .clearFloatData()
        .clearExternalData()
        .clearDataLocation()
        .setDataType(FLOAT16)
        .setRawData(ByteString.copyFrom(buffer.array()))
        .build();
  }
}
