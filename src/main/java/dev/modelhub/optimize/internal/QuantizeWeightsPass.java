package dev.modelhub.optimize.internal;

import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.OperatorSetIdProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * quantize-int8-weights: weight-only int8. Each large MatMul/Gemm/Conv weight is stored as int8
 * with per-output-channel scales and turned back into float by a DequantizeLinear at the start of
 * the graph, so the computation itself is unchanged.
 */
public final class QuantizeWeightsPass extends Int8Pass<PassParameters.QuantizeWeights> {

  @Override
  public String name() {
    return "quantize-int8-weights";
  }

  @Override
  public Class<PassParameters.QuantizeWeights> parametersType() {
    return PassParameters.QuantizeWeights.class;
  }

  @Override
  boolean perChannel(PassParameters.QuantizeWeights params) {
    return params.perChannel();
  }

  @Override
  PassParameters.QuantizeWeights withPerChannel(PassParameters.QuantizeWeights params) {
    return new PassParameters.QuantizeWeights(
        true, params.minElements(), params.exclude(), params.dataset(), params.maxAccuracyDrop());
  }

  @Override
  public List<String> candidates(OnnxGraph graph, PassParameters.QuantizeWeights params) {
    return targets(graph, params, Set.of()).stream()
        .map(t -> t.node().getName())
        .distinct()
        .toList();
  }

  private record Target(NodeProto node, TensorProto weight, int axis) {}

  private List<Target> targets(
      OnnxGraph graph, PassParameters.QuantizeWeights params, Set<String> keep) {
    int minElements = params.minElements();
    List<Target> found = new ArrayList<>();
    for (WeightNodes.Linear linear : WeightNodes.linear(graph)) {
      found.add(new Target(linear.node(), linear.weight(), linear.transposed() ? 0 : 1));
    }
    for (NodeProto conv : WeightNodes.conv(graph)) {
      found.add(new Target(conv, graph.initializer(conv.getInput(1)), 0));
    }
    return found.stream()
        .filter(t -> OnnxGraph.elements(t.weight()) >= minElements)
        .filter(t -> !Pass.excluded(t.node(), params, keep))
        // A weight shared with a node that must stay untouched is left alone.
        .filter(t -> graph.consumers(t.weight().getName()) == 1)
        .toList();
  }

  @Override
  public PassDetails apply(
      OnnxGraph graph, PassParameters.QuantizeWeights params, Set<String> keepFloat) {
    boolean perChannel = params.perChannel() && opset(graph) >= 13;
    List<NodeProto> dequantize = new ArrayList<>();
    Set<String> done = new LinkedHashSet<>();
    for (Target target : targets(graph, params, keepFloat)) {
      TensorProto w = target.weight();
      long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
      Int8.Layout layout = Int8.Layout.of(dims, perChannel ? target.axis() : -1);
      long[] scaleDims = perChannel ? new long[] {dims[target.axis()]} : new long[0];
      String name = w.getName();
      String wq = graph.fresh(name + "_quantized");
      String ws = graph.fresh(name + "_scale");
      String wz = graph.fresh(name + "_zero_point");
      float[] scales = quantize(graph, w, layout, wq);
      graph.removeInitializer(name);
      graph.putInitializer(OnnxGraph.floatTensor(ws, scaleDims, scales));
      graph.putInitializer(OnnxGraph.int8Tensor(wz, scaleDims, new byte[scales.length]));
      dequantize.add(
          perChannel
              ? OnnxGraph.node(
                  "DequantizeLinear",
                  graph.fresh(name + "_DequantizeLinear"),
                  List.of(wq, ws, wz),
                  List.of(name),
                  OnnxGraph.intAttribute("axis", target.axis()))
              : OnnxGraph.node(
                  "DequantizeLinear",
                  graph.fresh(name + "_DequantizeLinear"),
                  List.of(wq, ws, wz),
                  List.of(name)));
      done.add(target.node().getName());
    }
    List<NodeProto> nodes = new ArrayList<>(dequantize);
    nodes.addAll(graph.nodes());
    graph.setNodes(nodes);
    return new PassDetails.Quantized(List.copyOf(done), perChannel);
  }

  /** Writes {@code w} as the int8 tensor {@code name} a block at a time; returns its scales. */
  private static float[] quantize(OnnxGraph graph, TensorProto w, Int8.Layout layout, String name) {
    long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
    OnnxGraph.NewTensor out = graph.create(name, TensorProto.DataType.INT8_VALUE, dims);
    float[] scales;
    try (OnnxGraph.FloatTensor in = graph.open(w)) {
      scales = Int8.scales(in, layout);
      byte[] q = new byte[(int) Math.min(OnnxGraph.BLOCK, Math.max(in.elements(), 1))];
      in.blocks(
          (start, block, length) -> {
            Int8.quantize(block, length, start, layout, scales, q);
            out.put(start, q, 0, length);
          });
    }
    out.finish();
    return scales;
  }

  private static long opset(OnnxGraph graph) {
    return graph.model().getOpsetImportList().stream()
        .filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
        .mapToLong(OperatorSetIdProto::getVersion)
        .max()
        .orElse(1);
  }
}
