package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api;
import dev.modelhub.support.Conformance;
import dev.modelhub.support.Conformance.Outcome;
import dev.modelhub.support.Conformance.Result;
import dev.modelhub.support.OnnxTestCase;
import dev.modelhub.support.ServingTest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * Serving conformance over a subset of ONNX's backend node tests (committed under {@code
 * src/test/resources/onnx-conformance}, copied from Debian's {@code libonnx-testdata}): models with
 * shape, index and size inputs (Reshape, Slice, Expand, OneHot, Range, Split, Resize, TopK…),
 * integer division, a model without inputs, NaN and infinities, every datatype class, and common
 * layers. Each is uploaded, promoted and called through {@code /v2} on a node serving the {@code
 * conformance} alias; wherever ONNX Runtime's own API answers the reference outputs, Modelhub must
 * too. The whole Debian corpus runs in the benchmark profile ({@code ConformanceBenchmark}).
 */
class ConformanceIT extends ServingTest {

  static final String ALIAS = "conformance";

  @Autowired Environment environment;

  @Test
  void every_case_onnx_runtime_runs_correctly_is_served_correctly() {
    List<OnnxTestCase> cases =
        OnnxTestCase.all(Path.of("src/test/resources/onnx-conformance/node"));
    assertThat(cases).hasSizeGreaterThan(50);
    try (ConfigurableApplicationContext node =
        startNode(
            environment,
            Map.of("modelhub.serving.aliases", ALIAS, "modelhub.serving.isolation", "engine"))) {
      Conformance conformance =
          new Conformance(api, new Api(port(node), json), ALIAS, ServingTest::uniqueName);
      List<Result> results = cases.stream().map(conformance::check).toList();
      System.out.println(Conformance.table("ONNX backend node tests (subset)", results));
      Map<String, Result> byName =
          results.stream().collect(Collectors.toMap(Result::name, Function.identity()));

      assertThat(results.stream().filter(r -> !r.acceptable()).toList()).isEmpty();
      // The classes this issue was about: each served, and correctly.
      for (String name :
          List.of(
              "test_reshape_extended_dims",
              "test_slice",
              "test_expand_dim_changed",
              "test_onehot_with_axis",
              "test_range_int32_type_negative_delta",
              "test_split_variable_parts_1d",
              "test_resize_upsample_scales_nearest",
              "test_top_k",
              "test_mod_mixed_sign_int32",
              "test_div_uint8",
              "test_constant",
              "test_isnan",
              "test_isinf",
              "test_cast_FLOAT_to_FLOAT16",
              "test_layer_normalization_2d_axis0")) {
        assertThat(byName.get(name).outcome())
            .as(byName.get(name).toString())
            .isEqualTo(Outcome.SERVED_CORRECTLY);
      }
      assertThat(results.stream().filter(Result::ortCorrect).count()).isGreaterThan(45);
      // ONNX 1.12 stores this case's BF16 reference as UINT16 bits: served as ONNX Runtime answers
      // (a BF16 output once dropped the engine host's connection).
      assertThat(byName.get("test_cast_FLOAT_to_BFLOAT16").outcome())
          .isEqualTo(Outcome.SERVED_AS_ENGINE);
      // Random: any answer of the right shape.
      assertThat(byName.get("test_bernoulli_seed").outcome()).isEqualTo(Outcome.SERVED_RANDOM);
    }
  }
}
