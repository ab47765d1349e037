package dev.modelhub.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.optimize.internal.EvaluationData;
import dev.modelhub.optimize.internal.Evaluator;
import dev.modelhub.optimize.internal.OnnxGraph;
import dev.modelhub.optimize.internal.Passes;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.TestProperties;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

/** Each pass on the digits MLP, checked with ONNX Runtime on the digits test set. */
@SuppressWarnings("unchecked")
class PassesTest {

  private static final ModelSignature DIGITS =
      new ModelSignature(
          List.of(new TensorSpec("input", Datatype.FP32, List.of(-1L, 64L))),
          List.of(new TensorSpec("logits", Datatype.FP32, List.of(-1L, 10L))));

  private static EvaluationData testSet;
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final Passes passes = new Passes();
  @TempDir Path temp;

  @BeforeAll
  static void loadTestSet(@TempDir Path spool) throws Exception {
    Path csv = spool.resolve("digits-test.csv");
    try (InputStream in = PassesTest.class.getResourceAsStream("/data/digits-test.csv")) {
      Files.copy(in, csv);
    }
    testSet = TestProperties.datasetReader(spool).read(csv).toEvaluationData(DIGITS, "test");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "quantize-int8-dynamic",
        "quantize-int8-weights",
        "convert-fp16",
        "prune-magnitude",
        "low-rank"
      })
  void pass_keeps_inputs_and_outputs_and_the_variant_runs_close_to_the_parent(String name)
      throws Exception {
    Path parent = Files.write(temp.resolve("parent.onnx"), Fixtures.bytes("digits_mlp.onnx"));
    OnnxGraph graph = OnnxGraph.read(parent, temp.resolve("variant"));
    apply(name, graph, Map.of());
    Path variant = graph.write();

    ModelProto before = ModelProto.parseFrom(Files.readAllBytes(parent));
    ModelProto after = ModelProto.parseFrom(Files.readAllBytes(variant));
    assertThat(after.getGraph().getInputList()).isEqualTo(before.getGraph().getInputList());
    assertThat(after.getGraph().getOutputList()).isEqualTo(before.getGraph().getOutputList());
    Evaluator.Comparison c = new Evaluator(5).compare(parent, variant, testSet, () -> false);
    assertThat(c.top1Agreement()).isGreaterThan(0.95);
    assertThat(c.variant().accuracy()).isGreaterThan(c.parent().accuracy() - 0.02);
  }

  @Test
  void excluded_nodes_and_op_types_are_left_as_they_were() throws Exception {
    Path parent = Files.write(temp.resolve("parent.onnx"), Fixtures.bytes("digits_mlp.onnx"));
    OnnxGraph graph = OnnxGraph.read(parent, temp.resolve("variant"));
    String first = graph.nodes().get(0).getName();
    PassDetails details = apply("quantize-int8-dynamic", graph, Map.of("exclude", List.of(first)));
    assertThat(((PassDetails.Quantized) details).quantizedNodes()).hasSize(2).doesNotContain(first);
    assertThat(graph.nodes())
        .anyMatch(n -> n.getName().equals(first) && n.getOpType().equals("Gemm"));

    OnnxGraph untouched = OnnxGraph.read(parent);
    PassDetails none =
        apply("quantize-int8-dynamic", untouched, Map.of("exclude", List.of("Gemm")));
    assertThat(((PassDetails.Quantized) none).quantizedNodes()).isEmpty();
  }

  @Test
  void a_model_with_external_data_is_read_from_its_data_file() throws Exception {
    OnnxModels.ExternalModel external =
        OnnxModels.withExternalData(OnnxModels.mlp(4, 64, 128, 10), "weights.bin");
    Path dir = Files.createDirectories(temp.resolve("external"));
    Path model = Files.write(dir.resolve("model.onnx"), external.model().toByteArray());
    Files.write(dir.resolve("weights.bin"), external.data());
    OnnxGraph graph = OnnxGraph.read(model, temp.resolve("out"));
    apply("quantize-int8-weights", graph, Map.of("minElements", 1));
    Path variant = graph.write();

    ModelProto written = ModelProto.parseFrom(Files.readAllBytes(variant));
    assertThat(written.getGraph().getInitializerList())
        .allMatch(t -> t.getDataLocation() != TensorProto.DataLocation.EXTERNAL);
    assertThat(written.getGraph().getNodeList())
        .extracting(NodeProto::getOpType)
        .contains("DequantizeLinear");
    EvaluationData generated = EvaluationData.generated(DIGITS, 16, 1);
    assertThat(new Evaluator(2).compare(model, variant, generated, () -> false).top1Agreement())
        .isGreaterThan(0.9);
  }

  @Test
  void a_variant_over_the_inline_limit_is_written_with_external_data_that_onnx_runtime_loads()
      throws Exception {
    Path parent = Files.write(temp.resolve("parent.onnx"), Fixtures.bytes("digits_mlp.onnx"));
    OnnxGraph graph = OnnxGraph.read(parent, temp.resolve("variant"));
    apply("convert-fp16", graph, Map.of());

    Path variant = graph.write(0);

    Path data = variant.resolveSibling("model.onnx.data");
    assertThat(data).exists();
    assertThat(Files.size(data)).isGreaterThan(90_000);
    assertThat(Files.size(variant)).isLessThan(10_000);
    assertThat(new Evaluator(2).compare(parent, variant, testSet, () -> false).top1Agreement())
        .isEqualTo(1.0);
  }

  @Test
  void the_comparison_affords_samples_by_its_budget_and_opens_models_apart_when_memory_is_short()
      throws Exception {
    Path parent = Files.write(temp.resolve("parent.onnx"), Fixtures.bytes("digits_mlp.onnx"));
    OnnxGraph graph = OnnxGraph.read(parent, temp.resolve("variant"));
    apply("convert-fp16", graph, Map.of());
    Path variant = graph.write();
    // 10 logits per sample, both models: 2 × 10 × 4 + 64 = 144 bytes a sample.
    Evaluator.Comparison capped =
        new Evaluator(2, 144 * 100, () -> -1).compare(parent, variant, testSet, () -> false);
    assertThat(capped.samples()).isEqualTo(100);
    assertThat(capped.parent().accuracy()).isGreaterThan(0.9);
    Evaluator.Comparison all =
        new Evaluator(2, 144 * 1000, () -> 1L << 40).compare(parent, variant, testSet, () -> false);
    assertThat(all.samples()).isEqualTo(testSet.size()).isEqualTo(450);
    assertThat(all.together()).isTrue();

    // Too little memory for two sessions: each model loaded, run and timed in turn, same figures.
    Evaluator.Comparison apart =
        new Evaluator(2, 144 * 1000, () -> 1024).compare(parent, variant, testSet, () -> false);
    assertThat(apart.together()).isFalse();
    assertThat(apart.samples()).isEqualTo(450);
    assertThat(apart.parent().accuracy()).isEqualTo(all.parent().accuracy());
    assertThat(apart.variant().accuracy()).isEqualTo(all.variant().accuracy());
    assertThat(apart.maxAbsDiff()).isEqualTo(all.maxAbsDiff());
    assertThat(apart.parent().latencyP50Ms()).isPositive();
    assertThat(apart.variant().latencyP50Ms()).isPositive();
  }

  @Test
  void parameters_are_checked_when_given() {
    assertThatThrownBy(() -> read("prune-magnitude", Map.of("sparsity", 1.5)))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("'sparsity' must be less than or equal to 0.99, not 1.5");
    assertThatThrownBy(() -> read("low-rank", Map.of("rank", 3)))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("unknown parameter 'rank'")
        .hasMessageContaining("rankRatio");
    assertThatThrownBy(() -> read("low-rank", Map.of("rankRatio", 0.5, "energy", 0.9)))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("either 'rankRatio' or 'energy'");
    assertThatThrownBy(() -> read("quantize-int8-dynamic", Map.of("perChannel", "yes")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("'perChannel' cannot be read");
    assertThatThrownBy(() -> read("prune-magnitude", Map.of("scope", "row")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("global or layer");
    assertThatThrownBy(() -> read("convert-fp16", Map.of("exclude", List.of(""))))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("'exclude[0]' must not be blank");
    PassParameters.ConvertFp16 defaults =
        (PassParameters.ConvertFp16) read("convert-fp16", Map.of());
    assertThat(defaults.blockList()).contains("Softmax");
    assertThat(defaults.exclude()).isEmpty();
    assertThat(passes.json(defaults)).doesNotContain("dataset").contains("\"blockList\"");
  }

  private PassParameters read(String pass, Map<String, Object> params) {
    return passes.read(passes.find(pass).orElseThrow(), JSON.valueToTree(params));
  }

  private PassDetails apply(String pass, OnnxGraph graph, Map<String, Object> params) {
    return passes.graphPass(pass).orElseThrow().applyFor(graph, read(pass, params), Set.of());
  }
}
