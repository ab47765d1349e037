package dev.modelhub.serving.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.InferenceResult;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class CodecTest {

  private final JsonMapper json = JsonMapper.builder().build();
  private final V2Json v2 = new V2Json(json, 1 << 24);
  private final TfServingJson tf = new TfServingJson(json, 1 << 24);
  private final ModelSignature signature =
      new ModelSignature(
          List.of(new TensorSpec("x", Datatype.FP32, List.of(-1L, 2L))),
          List.of(new TensorSpec("y", Datatype.FP32, List.of(-1L, 3L))));

  @Test
  void v2_reads_nested_data_flat_and_keeps_the_id_whatever_the_field_order() {
    V2Json.Request request =
        v2.read(
            stream(
                "{\"outputs\":[{\"name\":\"y\"}],\"inputs\":[{\"data\":[[1,2],[3.5,4]],"
                    + "\"datatype\":\"FP32\",\"shape\":[2,2],\"name\":\"x\",\"parameters\":{\"a\":1}}],"
                    + "\"id\":\"42\"}"));

    assertThat(request.id()).isEqualTo("42");
    assertThat(request.outputs()).containsExactly("y");
    Tensor x = request.inputs().get(0);
    assertThat(x.name()).isEqualTo("x");
    assertThat(x.shape()).containsExactly(2, 2);
    assertThat(((TensorData.Reals) x.data()).values()).containsExactly(1, 2, 3.5, 4);
  }

  @Test
  void v2_keeps_int64_values_beyond_double_precision() {
    Tensor t =
        v2.read(
                stream(
                    "{\"inputs\":[{\"name\":\"i\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[9007199254740993]}]}"))
            .inputs()
            .get(0);
    assertThat(((TensorData.Integers) t.data()).values()).containsExactly(9007199254740993L);
  }

  @Test
  void v2_reads_strings_for_bytes_and_uint64_up_to_two_to_the_64_minus_one() {
    V2Json.Request request =
        v2.read(
            stream(
                "{\"inputs\":[{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[2],"
                    + "\"data\":[\"naïve\",\"\"]},"
                    + "{\"name\":\"u\",\"datatype\":\"UINT64\",\"shape\":[2],"
                    + "\"data\":[18446744073709551615,1]}]}"));
    assertThat(((TensorData.Strings) request.inputs().get(0).data()).values())
        .containsExactly("naïve", "");
    assertThat(((TensorData.Integers) request.inputs().get(1).data()).values())
        .containsExactly(-1L, 1L);

    byte[] written =
        v2.write(
            new InferenceResult(
                "m",
                1,
                List.of(
                    new Tensor(
                        "u",
                        Datatype.UINT64,
                        new long[] {2},
                        new TensorData.Integers(new long[] {-1L, 5})),
                    new Tensor(
                        "s",
                        Datatype.BYTES,
                        new long[] {1},
                        new TensorData.Strings(new String[] {"a\"b"})))),
            null);
    assertThat(new String(written, StandardCharsets.UTF_8))
        .contains("\"data\":[18446744073709551615,5]")
        .contains("\"data\":[\"a\\\"b\"]");
  }

  @Test
  void v2_refuses_strings_for_numbers_numbers_for_bytes_and_huge_values_below_uint64() {
    for (String input :
        List.of(
            "{\"name\":\"i\",\"datatype\":\"INT32\",\"shape\":[1],\"data\":[\"1\"]}",
            "{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"a\",1]}",
            "{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[1,\"a\"]}",
            "{\"name\":\"u\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[9223372036854775808]}",
            "{\"name\":\"u\",\"datatype\":\"UINT64\",\"shape\":[1],\"data\":[18446744073709551616]}",
            "{\"name\":\"u\",\"datatype\":\"UINT64\",\"shape\":[1],\"data\":[-1]}",
            "{\"name\":\"u\",\"datatype\":\"UINT64\",\"shape\":[2],\"data\":[-1,18446744073709551615]}",
            "{\"name\":\"u\",\"datatype\":\"UINT32\",\"shape\":[1],\"data\":[18446744073709551615]}")) {
      assertThatThrownBy(() -> v2.read(stream("{\"inputs\":[" + input + "]}")))
          .as(input)
          .isInstanceOf(InvalidRequestException.class);
    }
  }

  @Test
  void v2_refuses_fractions_for_integer_types_and_numbers_for_bool() {
    assertThatThrownBy(
            () ->
                v2.read(
                    stream(
                        "{\"inputs\":[{\"name\":\"i\",\"datatype\":\"INT32\",\"shape\":[1],\"data\":[1.5]}]}")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("non-integer");
    assertThatThrownBy(
            () ->
                v2.read(
                    stream(
                        "{\"inputs\":[{\"name\":\"b\",\"datatype\":\"BOOL\",\"shape\":[1],\"data\":[2]}]}")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("other than 0 and 1");
  }

  @Test
  void v2_writes_fp32_as_floats_and_echoes_the_id() {
    byte[] body =
        v2.write(
            new InferenceResult(
                "m",
                3,
                List.of(
                    new Tensor(
                        "y",
                        Datatype.FP32,
                        new long[] {1, 2},
                        new TensorData.Reals(new double[] {0.1f, 2})))),
            "r1");
    assertThat(new String(body, StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"model_name\":\"m\",\"model_version\":\"3\",\"id\":\"r1\",\"outputs\":[{\"name\":\"y\","
                + "\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[0.1,2.0]}]}");
  }

  @Test
  void tf_row_format_stacks_instances_into_a_batch() {
    TfServingJson.Request request =
        tf.read(json.readTree("{\"instances\":[[1,2],[3,4],[5,6]]}"), signature);
    Tensor x = request.inputs().get(0);
    assertThat(request.rowFormat()).isTrue();
    assertThat(x.shape()).containsExactly(3, 2);
    assertThat(((TensorData.Reals) x.data()).values()).containsExactly(1, 2, 3, 4, 5, 6);
  }

  @Test
  void tf_columnar_format_takes_the_tensor_as_given_named_or_not() {
    Tensor unnamed = tf.read(json.readTree("{\"inputs\":[[1,2]]}"), signature).inputs().get(0);
    Tensor named =
        tf.read(json.readTree("{\"inputs\":{\"x\":[[1,2]]}}"), signature).inputs().get(0);
    assertThat(unnamed.shape()).containsExactly(1, 2);
    assertThat(named.shape()).containsExactly(1, 2);
    assertThat(named.name()).isEqualTo("x");
  }

  @Test
  void tf_refuses_a_b64_or_signature_name_that_is_not_a_string_and_non_utf8_bytes_with_400s() {
    for (String body :
        List.of(
            "{\"instances\":[[{\"b64\":{}},{\"b64\":\"aGk=\"}]]}",
            "{\"instances\":[[{\"b64\":[1]},{\"b64\":\"aGk=\"}]]}",
            "{\"signature_name\":{},\"instances\":[[1,2]]}",
            "{\"instances\":[[{\"b64\":\"//79\"},{\"b64\":\"aGk=\"}]]}",
            "{\"instances\":[[{\"b64\":\"not base64!\"},{\"b64\":\"aGk=\"}]]}")) {
      assertThatThrownBy(() -> tf.read(json.readTree(body), signature))
          .as(body)
          .isInstanceOf(InvalidRequestException.class);
    }
  }

  @Test
  void strings_are_weighed_by_their_bytes_so_many_small_ones_cannot_exhaust_the_heap() {
    V2Json small = new V2Json(json, 1000);
    StringBuilder many = new StringBuilder("[");
    for (int i = 0; i < 200; i++) {
      many.append(i == 0 ? "" : ",").append("\"\"");
    }
    String body =
        "{\"inputs\":[{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[200],\"data\":"
            + many
            + "]}]}";
    // 200 empty strings weigh more than 1000 numbers would: refused, not allocated
    assertThatThrownBy(() -> small.read(stream(body)))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("text");
    String longOne =
        "{\"inputs\":[{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\""
            + "x".repeat(4000)
            + "\"]}]}";
    assertThatThrownBy(() -> small.read(stream(longOne)))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void tf_predictions_split_the_batch_into_rows() {
    InferenceResult result =
        new InferenceResult(
            "m",
            1,
            List.of(
                new Tensor(
                    "y",
                    Datatype.FP32,
                    new long[] {2, 3},
                    new TensorData.Reals(new double[] {1, 2, 3, 4, 5, 6}))));
    assertThat(new String(tf.write(result, true), StandardCharsets.UTF_8))
        .isEqualTo("{\"predictions\":[[1.0,2.0,3.0],[4.0,5.0,6.0]]}");
    assertThat(new String(tf.write(result, false), StandardCharsets.UTF_8))
        .isEqualTo("{\"outputs\":[[1.0,2.0,3.0],[4.0,5.0,6.0]]}");
  }

  @Test
  void tf_refuses_ragged_input() {
    assertThatThrownBy(() -> tf.read(json.readTree("{\"inputs\":[[1,2],[3]]}"), signature))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("not rectangular");
  }

  private static ByteArrayInputStream stream(String json) {
    return new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8));
  }
}
