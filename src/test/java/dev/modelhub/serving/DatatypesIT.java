package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.onnx.TensorProto.DataType;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Archives;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.SavedModels;
import dev.modelhub.support.ServingTest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Every datatype an engine takes goes in and comes back unchanged. */
class DatatypesIT extends ServingTest {

  /** A model without inputs (a constant table) answers its outputs, through v2 and TF Serving. */
  @Test
  void a_model_without_inputs_answers_its_outputs() {
    String model = uniqueName("inputless");
    register(model, OnnxModels.constantTable().toByteArray(), "table.onnx");
    assertAnswersTheTable(model);
  }

  /** Promotes v1 of an inputless model, calls it with no inputs and checks its constant table. */
  private void assertAnswersTheTable(String model) {
    promote(model, "production", 1);
    awaitServing(model, "production", 1);
    Response answer =
        api.sendRaw(
            "POST",
            "/v2/models/" + model + "/infer",
            "application/json",
            "{\"inputs\":[]}".getBytes());
    assertThat(answer.status()).as(model + ": " + answer).isEqualTo(200);
    assertThat(answer.json().get("outputs")).as(model + ": " + answer).hasSize(1);
    JsonNode output = answer.json().get("outputs").get(0);
    assertThat(output.get("name").asString()).isEqualTo("table");
    assertThat(output.get("shape").toString()).as(model).isEqualTo("[2,2]");
    assertThat(output.get("data").toString()).as(model).isEqualTo("[1.5,-2.0,0.0,4.0]");
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  /**
   * The same for TorchScript; a SavedModel without inputs (which DJL's TensorFlow block cannot run)
   * is unservable at upload, with that reason.
   */
  @Test
  void torchscript_without_inputs_answers_and_a_saved_model_without_inputs_is_unservable() {
    String torch = uniqueName("inputless-pt");
    Response pt =
        api.uploadMultipart(
            torch,
            Fixtures.bytes("constant_table.pt"),
            "model.pt",
            "{\"signature\":{\"inputs\":[],"
                + "\"outputs\":[{\"name\":\"table\",\"datatype\":\"FP32\",\"shape\":[2,2]}]}}");
    assertThat(pt.status()).as(pt.toString()).isEqualTo(201);
    String tf = uniqueName("inputless-tf");
    Response saved =
        api.upload(
            tf,
            Archives.tarGz(SavedModels.entries("table", SavedModels.constantTable())),
            "filename=table.tar.gz");
    assertThat(saved.status()).as(saved.toString()).isEqualTo(201);
    assertThat(saved.json().get("servable").asBoolean()).isFalse();
    assertThat(saved.json().get("servableMessage").asString()).contains("without inputs");
    assertThat(pt.json().get("servable").asBoolean()).isTrue();
    assertAnswersTheTable(torch);
  }

  /**
   * NaN and ±Infinity, as Python's json module and NumPy-based clients send them (bare words, not
   * valid strict JSON), are read into floating-point tensors and written back the same way, over v2
   * and TF Serving's API; in an integer tensor they are a 400.
   */
  @Test
  void nan_and_infinity_round_trip_as_python_writes_them() {
    Map<String, Integer> types = new LinkedHashMap<>();
    types.put("f32", DataType.FLOAT_VALUE);
    types.put("f64", DataType.DOUBLE_VALUE);
    types.put("i64", DataType.INT64_VALUE);
    String model = uniqueName("nonfinite");
    promote(
        model, "production", register(model, OnnxModels.identity(types).toByteArray(), "nf.onnx"));
    awaitServing(model, "production", 1);

    String v2 =
        "{\"inputs\":["
            + "{\"name\":\"f32\",\"datatype\":\"FP32\",\"shape\":[2,2],\"data\":[NaN,Infinity,-Infinity,1.5]},"
            + "{\"name\":\"f64\",\"datatype\":\"FP64\",\"shape\":[2,2],\"data\":[-Infinity,NaN,0.25,Infinity]},"
            + "{\"name\":\"i64\",\"datatype\":\"INT64\",\"shape\":[2,2],\"data\":[1,2,3,4]}]}";
    Response answer =
        api.sendRaw("POST", "/v2/models/" + model + "/infer", "application/json", v2.getBytes());
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    assertThat(answer.text().replace(" ", ""))
        .contains("\"data\":[NaN,Infinity,-Infinity,1.5]")
        .contains("\"data\":[-Infinity,NaN,0.25,Infinity]");

    String tf =
        "{\"inputs\":{\"f32\":[[NaN,1.0],[2.0,-Infinity]],\"f64\":[[1.0,2.0],[Infinity,4.0]],"
            + "\"i64\":[[1,2],[3,4]]}}";
    Response tfAnswer =
        api.sendRaw("POST", "/v1/models/" + model + ":predict", "application/json", tf.getBytes());
    assertThat(tfAnswer.status()).as(tfAnswer.toString()).isEqualTo(200);
    assertThat(tfAnswer.text().replace(" ", ""))
        .contains("[[NaN,1.0],[2.0,-Infinity]]")
        .contains("[Infinity,4.0]");

    String integer = v2.replace("[1,2,3,4]", "[1,NaN,3,4]");
    Response refused =
        api.sendRaw(
            "POST", "/v2/models/" + model + "/infer", "application/json", integer.getBytes());
    assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  @Test
  void each_datatype_round_trips_through_the_v2_api_with_flat_or_nested_data() {
    Map<String, Integer> types = new LinkedHashMap<>();
    types.put("f32", DataType.FLOAT_VALUE);
    types.put("f64", DataType.DOUBLE_VALUE);
    types.put("i8", DataType.INT8_VALUE);
    types.put("u8", DataType.UINT8_VALUE);
    types.put("i32", DataType.INT32_VALUE);
    types.put("i64", DataType.INT64_VALUE);
    types.put("b", DataType.BOOL_VALUE);
    String model = uniqueName("types");
    promote(
        model, "production", register(model, OnnxModels.identity(types).toByteArray(), "id.onnx"));
    awaitServing(model, "production", 1);

    Map<String, Object[]> inputs = new LinkedHashMap<>();
    inputs.put("f32", new Object[] {"FP32", List.of(List.of(0.1, -2.5), List.of(3.25, 1e-3))});
    inputs.put("f64", new Object[] {"FP64", List.of(0.1, -2.5, 3.25, 1e-300)});
    inputs.put("i8", new Object[] {"INT8", List.of(-128, 127, 0, 5)});
    inputs.put("u8", new Object[] {"UINT8", List.of(0, 255, 128, 7)});
    inputs.put(
        "i32", new Object[] {"INT32", List.of(List.of(-2147483648, 2147483647), List.of(0, 1))});
    inputs.put("i64", new Object[] {"INT64", List.of(9007199254740993L, -1L, 0, Long.MAX_VALUE)});
    inputs.put("b", new Object[] {"BOOL", List.of(true, false, false, true)});
    List<Map<String, Object>> body =
        inputs.entrySet().stream()
            .map(
                e ->
                    Map.<String, Object>of(
                        "name",
                        e.getKey(),
                        "datatype",
                        e.getValue()[0],
                        "shape",
                        List.of(2, 2),
                        "data",
                        e.getValue()[1]))
            .toList();

    Response response =
        api.postJson(
            "/v2/models/" + model + "/infer",
            Map.of(
                "id",
                "dt",
                "inputs",
                body,
                "outputs",
                List.of(
                    Map.of("name", "i64_out"),
                    Map.of("name", "f32_out"),
                    Map.of("name", "u8_out"),
                    Map.of("name", "b_out"),
                    Map.of("name", "f64_out"),
                    Map.of("name", "i8_out"),
                    Map.of("name", "i32_out"))));
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    Map<String, JsonNode> outputs = new LinkedHashMap<>();
    response.json().get("outputs").forEach(o -> outputs.put(o.get("name").asString(), o));
    assertThat(outputs.get("f32_out").get("data").toString()).isEqualTo("[0.1,-2.5,3.25,0.001]");
    assertThat(outputs.get("f64_out").get("data").toString()).isEqualTo("[0.1,-2.5,3.25,1.0E-300]");
    assertThat(outputs.get("i8_out").get("data").toString()).isEqualTo("[-128,127,0,5]");
    assertThat(outputs.get("u8_out").get("data").toString()).isEqualTo("[0,255,128,7]");
    assertThat(outputs.get("i32_out").get("data").toString())
        .isEqualTo("[-2147483648,2147483647,0,1]");
    assertThat(outputs.get("i64_out").get("data").toString())
        .isEqualTo("[9007199254740993,-1,0,9223372036854775807]");
    assertThat(outputs.get("b_out").get("data").toString()).isEqualTo("[true,false,false,true]");
    assertThat(outputs.get("u8_out").get("datatype").asString()).isEqualTo("UINT8");
    assertThat(outputs.get("b_out").get("shape").toString()).isEqualTo("[2,2]");

    // The outputs filter returns only what was asked for.
    Response filtered =
        api.postJson(
            "/v2/models/" + model + "/infer",
            Map.of("inputs", body, "outputs", List.of(Map.of("name", "b_out"))));
    assertThat(filtered.json().get("outputs")).hasSize(1);
    assertThat(filtered.json().get("outputs").get(0).get("name").asString()).isEqualTo("b_out");
  }

  /**
   * The datatypes DJL's NDArray layer cannot carry — INT16, UINT16, UINT32, UINT64 (up to 2^64 − 1)
   * and BYTES — round-trip through an ONNX model run on ONNX Runtime's own API, over v2 and TF
   * Serving (whose binary strings come as {"b64": …}).
   */
  @Test
  void int16_unsigned_and_bytes_round_trip_through_onnx_runtime_s_own_api() {
    Map<String, Integer> types = new LinkedHashMap<>();
    types.put("i16", DataType.INT16_VALUE);
    types.put("u16", DataType.UINT16_VALUE);
    types.put("u32", DataType.UINT32_VALUE);
    types.put("u64", DataType.UINT64_VALUE);
    types.put("s", DataType.STRING_VALUE);
    types.put("bf", DataType.BFLOAT16_VALUE);
    String model = uniqueName("ort-types");
    Response created =
        api.upload(model, OnnxModels.identity(types).toByteArray(), "filename=t.onnx");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("servable").asBoolean()).as(created.toString()).isTrue();
    promote(model, "production", created.json().get("version").asInt());
    awaitServing(model, "production", 1);

    String v2 =
        "{\"inputs\":["
            + "{\"name\":\"i16\",\"datatype\":\"INT16\",\"shape\":[2,2],\"data\":[-32768,32767,0,-1]},"
            + "{\"name\":\"u16\",\"datatype\":\"UINT16\",\"shape\":[2,2],\"data\":[0,65535,1,40000]},"
            + "{\"name\":\"u32\",\"datatype\":\"UINT32\",\"shape\":[2,2],\"data\":[0,4294967295,1,3000000000]},"
            + "{\"name\":\"u64\",\"datatype\":\"UINT64\",\"shape\":[2,2],"
            + "\"data\":[0,18446744073709551615,9223372036854775808,7]},"
            + "{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[2,2],"
            + "\"data\":[\"hello\",\"\",\"naïve ✓\",\"a\\\"b\"]},"
            + "{\"name\":\"bf\",\"datatype\":\"BF16\",\"shape\":[2,2],\"data\":[1.5,-2,0.25,3]}]}";
    Response answer =
        api.sendRaw(
            "POST",
            "/v2/models/" + model + "/infer",
            "application/json",
            v2.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    Map<String, JsonNode> outputs = new LinkedHashMap<>();
    answer.json().get("outputs").forEach(o -> outputs.put(o.get("name").asString(), o));
    assertThat(outputs.get("i16_out").get("data").toString()).isEqualTo("[-32768,32767,0,-1]");
    assertThat(outputs.get("i16_out").get("datatype").asString()).isEqualTo("INT16");
    assertThat(outputs.get("u16_out").get("data").toString()).isEqualTo("[0,65535,1,40000]");
    assertThat(outputs.get("u32_out").get("data").toString())
        .isEqualTo("[0,4294967295,1,3000000000]");
    assertThat(outputs.get("u64_out").get("data").toString())
        .isEqualTo("[0,18446744073709551615,9223372036854775808,7]");
    assertThat(outputs.get("u64_out").get("datatype").asString()).isEqualTo("UINT64");
    assertThat(outputs.get("s_out").get("datatype").asString()).isEqualTo("BYTES");
    assertThat(outputs.get("s_out").get("data").get(2).asString()).isEqualTo("naïve ✓");
    assertThat(outputs.get("s_out").get("data").get(3).asString()).isEqualTo("a\"b");
    assertThat(outputs.get("bf_out").get("data").toString()).isEqualTo("[1.5,-2.0,0.25,3.0]");

    // Out of range for its type, strings in a number tensor, numbers in a BYTES one: 400s.
    for (String bad :
        List.of(
            "{\"name\":\"u16\",\"datatype\":\"UINT16\",\"shape\":[1],\"data\":[65536]}",
            "{\"name\":\"u32\",\"datatype\":\"UINT32\",\"shape\":[1],\"data\":[18446744073709551615]}",
            "{\"name\":\"u64\",\"datatype\":\"UINT64\",\"shape\":[1],\"data\":[18446744073709551616]}",
            "{\"name\":\"i16\",\"datatype\":\"INT16\",\"shape\":[1],\"data\":[\"7\"]}",
            "{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[7]}")) {
      Response refused =
          api.sendRaw(
              "POST",
              "/v2/models/" + model + "/infer",
              "application/json",
              ("{\"inputs\":[" + bad + "]}").getBytes());
      assertThat(refused.status()).as(bad + " → " + refused).isEqualTo(400);
    }

    // TF Serving: strings plain or as {"b64": …}, and the largest UINT64.
    String tf =
        "{\"inputs\":{\"i16\":[[1,-2]],\"u16\":[[3,65535]],\"u32\":[[5,6]],"
            + "\"u64\":[[18446744073709551615,8]],\"s\":[[\"x\",{\"b64\":\"aGk=\"}]],"
            + "\"bf\":[[0.5,4]]}}";
    Response predicted =
        api.sendRaw("POST", "/v1/models/" + model + ":predict", "application/json", tf.getBytes());
    assertThat(predicted.status()).as(predicted.toString()).isEqualTo(200);
    JsonNode tfOutputs = predicted.json().get("outputs");
    assertThat(tfOutputs.get("s_out").toString()).isEqualTo("[[\"x\",\"hi\"]]");
    assertThat(tfOutputs.get("u64_out").toString()).isEqualTo("[[18446744073709551615,8]]");
    assertThat(tfOutputs.get("i16_out").toString()).isEqualTo("[[1,-2]]");
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  @Test
  void values_outside_a_datatype_are_refused() {
    Map<String, Integer> types = Map.of("u8", DataType.UINT8_VALUE);
    String model = uniqueName("range");
    promote(
        model, "production", register(model, OnnxModels.identity(types).toByteArray(), "r.onnx"));
    awaitServing(model, "production", 1);

    Response response =
        api.postJson(
            "/v2/models/" + model + "/infer",
            Map.of(
                "inputs",
                List.of(
                    Map.of(
                        "name",
                        "u8",
                        "datatype",
                        "UINT8",
                        "shape",
                        List.of(1, 2),
                        "data",
                        List.of(1, 256)))));
    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().get("detail").asString()).contains("256").contains("UINT8");
  }

  @Test
  void an_int16_torchscript_model_fails_to_load_cleanly_when_forced_past_its_validation() {
    String model = uniqueName("int16");
    String signature =
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"INT16\",\"shape\":[-1,2]}],"
            + "\"outputs\":[{\"name\":\"output\",\"datatype\":\"INT16\",\"shape\":[-1,2]}]}";
    forcePromote(
        model, "production", registerTorchScript(model, Fixtures.bytes("identity.pt"), signature));

    // PyTorch's native code would abort the JVM on an INT16 tensor: the load is refused first
    // (ONNX models take INT16 through ONNX Runtime's own API; PyTorch has no such path here).
    await()
        .atMost(LOAD_TIMEOUT)
        .until(
            () -> slot(api, model, "production").map(s -> s.get("state").asString()).orElse(""),
            "FAILED"::equals);
    assertThat(slot(api, model, "production").orElseThrow().get("lastError").asString())
        .contains("INT16")
        .contains("PyTorch");
    assertThat(api.get("/v2/health/live").status()).isEqualTo(200);
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }
}
