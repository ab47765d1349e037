package dev.modelhub.optimize.internal;

import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * quantize-int8-dynamic: MatMul/Gemm weights stored as int8; activations quantized at run time.
 * Each rewritten node becomes the pattern ONNX Runtime's CPU provider fuses into one
 * DynamicQuantizeMatMul kernel: DynamicQuantizeLinear(A) → MatMulInteger(A_q, W_q) → Cast →
 * Mul(A_scale · W_scale) [→ Add(bias)]. Conv stays float.
 */
public final class QuantizeDynamicPass extends Int8Pass<PassParameters.QuantizeDynamic> {

  @Override
  public String name() {
    return "quantize-int8-dynamic";
  }

  @Override
  public Class<PassParameters.QuantizeDynamic> parametersType() {
    return PassParameters.QuantizeDynamic.class;
  }

  @Override
  boolean perChannel(PassParameters.QuantizeDynamic params) {
    return params.perChannel();
  }

  @Override
  PassParameters.QuantizeDynamic withPerChannel(PassParameters.QuantizeDynamic params) {
    return new PassParameters.QuantizeDynamic(
        true, params.exclude(), params.dataset(), params.maxAccuracyDrop());
  }

  @Override
  public List<String> candidates(OnnxGraph graph, PassParameters.QuantizeDynamic params) {
    return WeightNodes.linear(graph).stream()
        .filter(l -> !Pass.excluded(l.node(), params, Set.of()))
        .map(l -> l.node().getName())
        .toList();
  }

  @Override
  public PassDetails apply(
      OnnxGraph graph, PassParameters.QuantizeDynamic params, Set<String> keepFloat) {
    boolean perChannel = params.perChannel();
    Map<NodeProto, WeightNodes.Linear> targets = new HashMap<>();
    for (WeightNodes.Linear linear : WeightNodes.linear(graph)) {
      if (!Pass.excluded(linear.node(), params, keepFloat)) {
        targets.put(linear.node(), linear);
      }
    }
    Map<String, String[]> quantizedInputs = new HashMap<>();
    List<NodeProto> rewritten = new ArrayList<>();
    List<String> done = new ArrayList<>();
    for (NodeProto node : graph.nodes()) {
      WeightNodes.Linear linear = targets.get(node);
      if (linear == null) {
        rewritten.add(node);
        continue;
      }
      String a = node.getInput(0);
      String[] aq =
          quantizedInputs.computeIfAbsent(
              a,
              input -> {
                String[] names = {
                  graph.fresh(input + "_quantized"),
                  graph.fresh(input + "_scale"),
                  graph.fresh(input + "_zero_point")
                };
                rewritten.add(
                    OnnxGraph.node(
                        "DynamicQuantizeLinear",
                        graph.fresh(input + "_QuantizeLinear"),
                        List.of(input),
                        List.of(names)));
                return names;
              });
      String base = node.getName().isEmpty() ? graph.fresh(node.getOpType()) : node.getName();
      String weight = linear.weight().getName();
      String wq = graph.fresh(weight + "_quantized");
      String ws = graph.fresh(weight + "_scale");
      String wz = graph.fresh(weight + "_zero_point");
      float[] scales = quantize(graph, linear, perChannel, wq);
      long[] scaleDims = perChannel ? new long[] {linear.n()} : new long[0];
      graph.putInitializer(OnnxGraph.floatTensor(ws, scaleDims, scales));
      graph.putInitializer(OnnxGraph.int8Tensor(wz, scaleDims, new byte[scales.length]));
      String integer = graph.fresh(base + "_MatMulInteger_output");
      String scale = graph.fresh(base + "_scale");
      String cast = graph.fresh(base + "_output_float");
      boolean bias =
          node.getOpType().equals("Gemm")
              && node.getInputCount() > 2
              && !node.getInput(2).isEmpty();
      String output = node.getOutput(0);
      String scaled = bias ? graph.fresh(base + "_scaled") : output;
      rewritten.add(
          OnnxGraph.node(
              "MatMulInteger",
              graph.fresh(base + "_MatMulInteger"),
              List.of(aq[0], wq, aq[2], wz),
              List.of(integer)));
      rewritten.add(
          OnnxGraph.node(
              "Mul", graph.fresh(base + "_scale_Mul"), List.of(aq[1], ws), List.of(scale)));
      rewritten.add(
          OnnxGraph.node(
              "Cast",
              graph.fresh(base + "_Cast"),
              List.of(integer),
              List.of(cast),
              OnnxGraph.intAttribute("to", TensorProto.DataType.FLOAT_VALUE)));
      rewritten.add(
          OnnxGraph.node(
              "Mul", graph.fresh(base + "_output_Mul"), List.of(cast, scale), List.of(scaled)));
      if (bias) {
        rewritten.add(
            OnnxGraph.node(
                "Add",
                graph.fresh(base + "_bias_Add"),
                List.of(scaled, node.getInput(2)),
                List.of(output)));
      }
      done.add(base);
    }
    graph.setNodes(rewritten);
    for (WeightNodes.Linear linear : targets.values()) {
      if (graph.consumers(linear.weight().getName()) == 0) {
        graph.removeInitializer(linear.weight().getName());
      }
    }
    return new PassDetails.Quantized(List.copyOf(done), perChannel);
  }

  /**
   * Writes the weight as the int8 [K, N] tensor {@code name} that MatMulInteger multiplies by (a
   * Gemm's transposed weight is turned as it is read), a block of rows at a time; returns the
   * scales, one per output column when per channel.
   */
  private static float[] quantize(
      OnnxGraph graph, WeightNodes.Linear linear, boolean perChannel, String name) {
    long[] stored = linear.weight().getDimsList().stream().mapToLong(Long::longValue).toArray();
    float[] scales;
    try (OnnxGraph.FloatTensor w = graph.open(linear.weight())) {
      // A per-column scale of the [K, N] matrix is one per row when it is stored [N, K].
      scales =
          Int8.scales(w, Int8.Layout.of(stored, perChannel ? (linear.transposed() ? 0 : 1) : -1));
    }
    Int8.Layout columns = Int8.Layout.of(new long[] {linear.k(), linear.n()}, perChannel ? 1 : -1);
    OnnxGraph.NewTensor out =
        graph.create(name, TensorProto.DataType.INT8_VALUE, new long[] {linear.k(), linear.n()});
    try (WeightMatrix m = new WeightMatrix(graph, linear)) {
      int rows = m.rowBlock();
      float[] block = new float[rows * m.n];
      byte[] q = new byte[block.length];
      for (int first = 0; first < m.k; first += rows) {
        int count = Math.min(rows, m.k - first);
        m.rows(first, count, block);
        long start = (long) first * m.n;
        Int8.quantize(block, count * m.n, start, columns, scales, q);
        out.put(start, q, 0, count * m.n);
      }
    }
    out.finish();
    return scales;
  }
}
