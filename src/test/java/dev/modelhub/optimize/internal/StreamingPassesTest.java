package dev.modelhub.optimize.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.ByteString;
import dev.modelhub.common.HalfFloats;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.OperatorSetIdProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.optimize.PassParameters;
import dev.modelhub.optimize.PruneScope;
import dev.modelhub.support.OnnxModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The passes read and write tensors a block at a time: on weights larger than a block, in both
 * storage orders (a Gemm with transB and a MatMul), each variant's tensors are exactly what the
 * transform defines, element by element.
 */
class StreamingPassesTest {

  /** Gemm(x, W1, transB=1), W1 stored [1200, 1000] of rank 6: 1.2 M elements, over one block. */
  private static final int N1 = 1200;

  private static final int K1 = 1000;

  /** MatMul(h, W2), W2 [1200, 40] of random values. */
  private static final int N2 = 40;

  @TempDir Path temp;
  private float[] w1;
  private float[] w2;
  private Path parent;

  @BeforeEach
  void model() throws Exception {
    Random random = new Random(7);
    float[][] u = new float[N1][6];
    float[][] v = new float[6][K1];
    for (float[] row : u) {
      for (int j = 0; j < 6; j++) {
        row[j] = (float) random.nextGaussian();
      }
    }
    for (float[] row : v) {
      for (int j = 0; j < K1; j++) {
        row[j] = (float) random.nextGaussian() * 0.05f;
      }
    }
    w1 = new float[N1 * K1];
    for (int i = 0; i < N1; i++) {
      for (int j = 0; j < K1; j++) {
        double s = 0;
        for (int r = 0; r < 6; r++) {
          s += u[i][r] * v[r][j];
        }
        w1[i * K1 + j] = (float) s;
      }
    }
    w2 = new float[N1 * N2];
    for (int i = 0; i < w2.length; i++) {
      w2[i] = (float) random.nextGaussian();
    }
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .setName("streaming")
            .addInput(OnnxModels.tensorValue("x", TensorProto.DataType.FLOAT_VALUE, -1, K1))
            .addOutput(OnnxModels.tensorValue("y", TensorProto.DataType.FLOAT_VALUE, -1, N2))
            .addInitializer(tensor("w1", w1, N1, K1))
            .addInitializer(tensor("w2", w2, N1, N2))
            .addNode(
                OnnxGraph.node(
                    "Gemm",
                    "up",
                    List.of("x", "w1"),
                    List.of("h"),
                    OnnxGraph.intAttribute("transB", 1)))
            .addNode(OnnxGraph.node("MatMul", "down", List.of("h", "w2"), List.of("y")));
    ModelProto model =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
            .setGraph(graph)
            .build();
    parent = Files.createDirectories(temp.resolve("parent")).resolve("model.onnx");
    Files.write(parent, model.toByteArray());
  }

  private static TensorProto tensor(String name, float[] values, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    TensorProto.Builder t =
        TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
    for (long d : dims) {
      t.addDims(d);
    }
    return t.setRawData(ByteString.copyFrom(raw.array())).build();
  }

  /** Applies a pass and writes the variant with external data; returns it read back. */
  private <P extends PassParameters> OnnxGraph variant(Pass<P> pass, P params) {
    Path out = temp.resolve(pass.name());
    try (OnnxGraph graph = OnnxGraph.read(parent, out)) {
      pass.apply(graph, params, Set.of());
      Path file = graph.write(0);
      assertThat(file.resolveSibling(OnnxGraph.DATA_FILE)).exists();
      return OnnxGraph.read(file);
    }
  }

  private static ByteBuffer raw(OnnxGraph graph, String name) {
    return graph
        .inlined(graph.initializer(name))
        .getRawData()
        .asReadOnlyByteBuffer()
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void a_model_read_through_a_path_with_dot_segments_is_rewritten_like_any_other() {
    // The default spool folder is relative (./data/spool): its absolute form keeps the "./".
    Path dotted = temp.resolve(".").resolve("parent").resolve("..").resolve("parent/model.onnx");
    try (OnnxGraph graph = OnnxGraph.read(dotted, temp.resolve("./dotted"))) {
      new ConvertFp16Pass()
          .apply(graph, new PassParameters.ConvertFp16(null, List.of(), null, null), Set.of());
      assertThat(graph.write(0)).exists();
    }
  }

  @Test
  void external_data_outside_the_graph_initializers_is_refused_with_its_place() throws Exception {
    TensorProto external =
        TensorProto.newBuilder()
            .setName("table")
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .addDims(4)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(
                dev.modelhub.onnx.StringStringEntryProto.newBuilder()
                    .setKey("location")
                    .setValue("table.bin"))
            .build();
    ModelProto model =
        ModelProto.parseFrom(Files.readAllBytes(parent)).toBuilder()
            .setGraph(
                ModelProto.parseFrom(Files.readAllBytes(parent)).getGraph().toBuilder()
                    .addNode(
                        dev.modelhub.onnx.NodeProto.newBuilder()
                            .setOpType("Constant")
                            .setName("lookup")
                            .addOutput("table")
                            .addAttribute(
                                dev.modelhub.onnx.AttributeProto.newBuilder()
                                    .setName("value")
                                    .setType(dev.modelhub.onnx.AttributeProto.AttributeType.TENSOR)
                                    .setT(external))))
            .build();
    Path file = Files.write(temp.resolve("parent/constant.onnx"), model.toByteArray());
    assertThatThrownBy(() -> OnnxGraph.read(file, temp.resolve("constant")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tensor 'table' in attribute 'value' of node 'lookup'")
        .hasMessageContaining("external data of graph initializers only");
  }

  @Test
  void int8_dynamic_turns_a_transposed_weight_and_scales_each_output_column() throws Exception {
    OnnxGraph v =
        variant(
            new QuantizeDynamicPass(),
            new PassParameters.QuantizeDynamic(true, List.of(), null, null));
    TensorProto q = v.initializer("w1_quantized");
    assertThat(q.getDimsList()).containsExactly((long) K1, (long) N1);
    float[] scales = floats(v, "w1_scale");
    ByteBuffer values = raw(v, "w1_quantized");
    for (int n = 0; n < N1; n++) {
      float max = 0;
      for (int k = 0; k < K1; k++) {
        max = Math.max(max, Math.abs(w1[n * K1 + k]));
      }
      assertThat(scales[n]).isEqualTo(max / 127f);
      for (int k = 0; k < K1; k++) {
        assertThat(values.get(k * N1 + n)).isEqualTo((byte) Math.round(w1[n * K1 + k] / scales[n]));
      }
    }
  }

  @Test
  void int8_weights_keep_the_stored_layout_with_a_scale_per_output_channel() {
    OnnxGraph v =
        variant(
            new QuantizeWeightsPass(),
            new PassParameters.QuantizeWeights(true, 1, List.of(), null, null));
    // Stored [N1, K1] for the Gemm's transB: its output channels are the stored rows.
    assertThat(v.initializer("w1_quantized").getDimsList()).containsExactly((long) N1, (long) K1);
    float[] scales = floats(v, "w1_scale");
    ByteBuffer values = raw(v, "w1_quantized");
    for (int n = 0; n < N1; n++) {
      float max = 0;
      for (int k = 0; k < K1; k++) {
        max = Math.max(max, Math.abs(w1[n * K1 + k]));
      }
      assertThat(scales[n]).isEqualTo(max / 127f);
      for (int k = 0; k < K1; k++) {
        assertThat(values.get(n * K1 + k)).isEqualTo((byte) Math.round(w1[n * K1 + k] / scales[n]));
      }
    }
  }

  @Test
  void pruning_zeroes_exactly_the_smallest_magnitudes_of_each_layer() {
    OnnxGraph v =
        variant(
            new PruneMagnitudePass(),
            new PassParameters.PruneMagnitude(0.37, PruneScope.LAYER, List.of(), null, null));
    for (var entry : List.of(new Object[] {"w1", w1}, new Object[] {"w2", w2})) {
      float[] original = (float[]) entry[1];
      float[] pruned;
      try (OnnxGraph.FloatTensor t = v.open(v.initializer((String) entry[0]))) {
        pruned = t.read(0, original.length);
      }
      float[] sorted = new float[original.length];
      for (int i = 0; i < sorted.length; i++) {
        sorted[i] = Math.abs(original[i]);
      }
      Arrays.sort(sorted);
      float threshold = sorted[(int) Math.round(0.37 * sorted.length)];
      for (int i = 0; i < original.length; i++) {
        assertThat(pruned[i]).isEqualTo(Math.abs(original[i]) < threshold ? 0f : original[i]);
      }
    }
  }

  @Test
  void the_global_threshold_is_the_same_as_sorting_every_magnitude() {
    try (OnnxGraph graph = OnnxGraph.read(parent)) {
      float[] all = new float[w1.length + w2.length];
      for (int i = 0; i < w1.length; i++) {
        all[i] = Math.abs(w1[i]);
      }
      for (int i = 0; i < w2.length; i++) {
        all[w1.length + i] = Math.abs(w2[i]);
      }
      Arrays.sort(all);
      for (double sparsity : new double[] {0.0001, 0.5, 0.9, 0.99}) {
        float threshold =
            PruneMagnitudePass.threshold(
                graph, List.of(graph.initializer("w1"), graph.initializer("w2")), sparsity);
        assertThat(threshold).isEqualTo(all[(int) Math.round(sparsity * all.length)]);
      }
    }
  }

  @Test
  void fp16_converts_every_element() {
    OnnxGraph v =
        variant(new ConvertFp16Pass(), new PassParameters.ConvertFp16(null, List.of(), null, null));
    assertThat(v.initializer("w1").getDataType()).isEqualTo(TensorProto.DataType.FLOAT16_VALUE);
    ByteBuffer raw = raw(v, "w1");
    for (int i = 0; i < w1.length; i++) {
      assertThat(raw.getShort(i * 2)).isEqualTo(HalfFloats.toHalf(w1[i]));
    }
  }

  @Test
  void low_rank_recovers_an_exactly_low_rank_weight_and_truncates_a_random_one_as_svd_does() {
    OnnxGraph v =
        variant(
            new LowRankPass(),
            new PassParameters.LowRank(null, 0.999999, 1, List.of(), null, null));
    // W1 [K1, N1] as the MatMul sees it (rank 6, recovered whole).
    float[] left = floats(v, "w1_left");
    float[] right = floats(v, "w1_right");
    int rank = left.length / K1;
    assertThat(rank).isEqualTo(6);
    for (int k = 0; k < K1; k += 37) {
      for (int n = 0; n < N1; n += 11) {
        double s = 0;
        for (int r = 0; r < rank; r++) {
          s += left[k * rank + r] * right[r * N1 + n];
        }
        assertThat(s).isCloseTo(w1[n * K1 + k], within(2e-4));
      }
    }

    OnnxGraph ratio =
        variant(
            new LowRankPass(), new PassParameters.LowRank(0.25, null, 1, List.of(), null, null));
    float[] l2 = floats(ratio, "w2_left");
    float[] r2 = floats(ratio, "w2_right");
    assertThat(l2).hasSize(N1 * 10);
    DMatrixRMaj expected = truncatedSvd(w2, N1, N2, 10);
    for (int i = 0; i < N1; i++) {
      for (int j = 0; j < N2; j++) {
        double s = 0;
        for (int r = 0; r < 10; r++) {
          s += l2[i * 10 + r] * r2[r * N2 + j];
        }
        assertThat(s).isCloseTo(expected.get(i, j), within(1e-3));
      }
    }
  }

  private static float[] floats(OnnxGraph graph, String name) {
    try (OnnxGraph.FloatTensor t = graph.open(graph.initializer(name))) {
      return t.read(0, (int) t.elements());
    }
  }

  private static DMatrixRMaj truncatedSvd(float[] w, int rows, int cols, int rank) {
    DMatrixRMaj m = new DMatrixRMaj(rows, cols);
    for (int i = 0; i < w.length; i++) {
      m.data[i] = w[i];
    }
    SingularValueDecomposition_F64<DMatrixRMaj> svd =
        DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
    assertThat(svd.decompose(m)).isTrue();
    DMatrixRMaj u = svd.getU(null, false);
    DMatrixRMaj s = svd.getW(null);
    DMatrixRMaj vt = svd.getV(null, true);
    double[] sigma = svd.getSingularValues();
    Integer[] order = new Integer[sigma.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(sigma[b], sigma[a]));
    for (int i = rank; i < order.length; i++) {
      s.set(order[i], order[i], 0);
    }
    DMatrixRMaj us = new DMatrixRMaj(rows, s.numCols);
    CommonOps_DDRM.mult(u, s, us);
    DMatrixRMaj out = new DMatrixRMaj(rows, cols);
    CommonOps_DDRM.mult(us, vt, out);
    return out;
  }
}
