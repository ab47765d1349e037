package dev.modelhub.serving.internal;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.onnx.AttributeProto;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.onnx.ValueInfoProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * ONNX Runtime's Java API has no UINT16, UINT32 or UINT64 tensors. A model with such inputs or
 * outputs is loaded rewritten: each such input is declared as its carrier (INT32 for UINT16, INT64
 * for the others) and cast to its type by a {@code Cast} node placed first; each such output is
 * cast to its carrier by a {@code Cast} placed last. The casts are exact: every UINT16 and UINT32
 * value fits its carrier, and a UINT64 travels as the two's complement bits of an INT64, which
 * ONNX's Cast keeps. The rewrite is in memory: the artifact is not changed.
 */
final class UnsignedCarriers {

  private static final Set<Datatype> UNSIGNED =
      EnumSet.of(Datatype.UINT16, Datatype.UINT32, Datatype.UINT64);
  private static final String SUFFIX = "__modelhub_unsigned";

  private UnsignedCarriers() {}

  static boolean needed(ModelSignature signature) {
    return signature.inputs().stream().anyMatch(s -> UNSIGNED.contains(s.datatype()))
        || signature.outputs().stream().anyMatch(s -> UNSIGNED.contains(s.datatype()));
  }

  /** The model at {@code path}, rewritten, as bytes for ONNX Runtime. */
  static byte[] rewrite(Path path) throws IOException {
    ModelProto model;
    try (InputStream in = Files.newInputStream(path)) {
      model = ModelProto.parseFrom(in);
    }
    GraphProto graph = model.getGraph();
    if (hasExternalData(graph)) {
      throw new IllegalArgumentException(
          "a model with external data cannot have UINT16, UINT32 or UINT64 inputs or outputs here:"
              + " ONNX Runtime's Java API has no such tensors, and the cast that carries them needs"
              + " the model in memory");
    }
    GraphProto.Builder rewritten = graph.toBuilder();
    int front = 0;
    for (int i = 0; i < rewritten.getInputCount(); i++) {
      ValueInfoProto input = rewritten.getInput(i);
      int type = elementType(input);
      if (!unsigned(type)) {
        continue;
      }
      String name = input.getName();
      String inner = name + SUFFIX;
      renameUses(rewritten, name, inner);
      rewritten.setInput(i, withElementType(input, carrier(type)));
      rewritten.addNode(front++, cast(name, inner, type));
    }
    for (int i = 0; i < rewritten.getOutputCount(); i++) {
      ValueInfoProto output = rewritten.getOutput(i);
      int type = elementType(output);
      if (!unsigned(type)) {
        continue;
      }
      String name = output.getName();
      String inner = name + SUFFIX + "_out";
      for (int n = 0; n < rewritten.getNodeCount(); n++) {
        rewritten.setNode(n, rename(rewritten.getNode(n), name, inner, true));
      }
      renameUses(rewritten, name, inner);
      rewritten.setOutput(i, withElementType(output, carrier(type)));
      rewritten.addNode(cast(inner, name, carrier(type)));
    }
    return model.toBuilder().setGraph(rewritten).build().toByteArray();
  }

  /** Whether any tensor of the graph or its subgraphs (initializers, constants) is external. */
  private static boolean hasExternalData(GraphProto graph) {
    for (TensorProto t : graph.getInitializerList()) {
      if (external(t)) {
        return true;
      }
    }
    for (NodeProto node : graph.getNodeList()) {
      for (AttributeProto a : node.getAttributeList()) {
        if ((a.hasT() && external(a.getT()))
            || a.getTensorsList().stream().anyMatch(t -> external(t))) {
          return true;
        }
        if ((a.hasG() && hasExternalData(a.getG()))
            || a.getGraphsList().stream().anyMatch(UnsignedCarriers::hasExternalData)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean external(TensorProto t) {
    return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0;
  }

  private static boolean unsigned(int onnxType) {
    return onnxType == TensorProto.DataType.UINT16_VALUE
        || onnxType == TensorProto.DataType.UINT32_VALUE
        || onnxType == TensorProto.DataType.UINT64_VALUE;
  }

  private static int carrier(int onnxType) {
    return onnxType == TensorProto.DataType.UINT16_VALUE
        ? TensorProto.DataType.INT32_VALUE
        : TensorProto.DataType.INT64_VALUE;
  }

  private static int elementType(ValueInfoProto value) {
    return value.getType().getTensorType().getElemType();
  }

  private static ValueInfoProto withElementType(ValueInfoProto value, int type) {
    ValueInfoProto.Builder builder = value.toBuilder();
    builder.getTypeBuilder().getTensorTypeBuilder().setElemType(type);
    return builder.build();
  }

  private static NodeProto cast(String from, String to, int type) {
    return NodeProto.newBuilder()
        .setOpType("Cast")
        .setName(to + "_cast")
        .addInput(from)
        .addOutput(to)
        .addAttribute(
            AttributeProto.newBuilder()
                .setName("to")
                .setType(AttributeProto.AttributeType.INT)
                .setI(type))
        .build();
  }

  /** Renames every read of {@code from} (nodes, their subgraphs, value infos) to {@code to}. */
  private static void renameUses(GraphProto.Builder graph, String from, String to) {
    for (int n = 0; n < graph.getNodeCount(); n++) {
      graph.setNode(n, rename(graph.getNode(n), from, to, false));
    }
    for (int v = 0; v < graph.getValueInfoCount(); v++) {
      if (graph.getValueInfo(v).getName().equals(from)) {
        graph.setValueInfo(v, graph.getValueInfo(v).toBuilder().setName(to));
      }
    }
  }

  private static NodeProto rename(NodeProto node, String from, String to, boolean outputs) {
    NodeProto.Builder builder = node.toBuilder();
    UnaryOperator<String> swap = name -> name.equals(from) ? to : name;
    if (outputs) {
      for (int i = 0; i < builder.getOutputCount(); i++) {
        builder.setOutput(i, swap.apply(builder.getOutput(i)));
      }
      return builder.build();
    }
    for (int i = 0; i < builder.getInputCount(); i++) {
      builder.setInput(i, swap.apply(builder.getInput(i)));
    }
    // Subgraphs (If, Loop, Scan) may read the outer value by name.
    for (int a = 0; a < builder.getAttributeCount(); a++) {
      AttributeProto.Builder attribute = builder.getAttributeBuilder(a);
      if (attribute.hasG()) {
        attribute.setG(renamedSubgraph(attribute.getG(), from, to));
      }
      for (int g = 0; g < attribute.getGraphsCount(); g++) {
        attribute.setGraphs(g, renamedSubgraph(attribute.getGraphs(g), from, to));
      }
    }
    return builder.build();
  }

  private static GraphProto renamedSubgraph(GraphProto graph, String from, String to) {
    GraphProto.Builder builder = graph.toBuilder();
    renameUses(builder, from, to);
    return builder.build();
  }
}
