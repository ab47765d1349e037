package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.common.HalfFloats;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.TensorProto.DataType;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Archives;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.SavedModels;
import dev.modelhub.support.ServingTest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The Open Inference Protocol's binary-data extension, as tritonclient speaks it: a JSON part of
 * {@code Inference-Header-Content-Length} bytes, then each input's little-endian elements; answers
 * in the same form for outputs asked for with {@code binary_data}.
 */
class BinaryProtocolIT extends ServingTest {

  private static final String LENGTH = "Inference-Header-Content-Length";

  /** Every OIP datatype: its ONNX element type, and four values of it. */
  private record Typed(String datatype, int onnx, List<Object> values) {}

  private static final Map<String, Typed> TYPES = new LinkedHashMap<>();

  static {
    TYPES.put("f32", new Typed("FP32", DataType.FLOAT_VALUE, List.of(0.1f, -2.5f, 3.25f, 1e-3f)));
    TYPES.put("f64", new Typed("FP64", DataType.DOUBLE_VALUE, List.of(0.1, -2.5, 3.25, 1e-300)));
    TYPES.put("f16", new Typed("FP16", DataType.FLOAT16_VALUE, List.of(1.5f, -2f, 0.25f, 3f)));
    TYPES.put("bf", new Typed("BF16", DataType.BFLOAT16_VALUE, List.of(1.5f, -2f, 0.25f, 3f)));
    TYPES.put("i8", new Typed("INT8", DataType.INT8_VALUE, List.of(-128L, 127L, 0L, 5L)));
    TYPES.put("i16", new Typed("INT16", DataType.INT16_VALUE, List.of(-32768L, 32767L, 0L, -1L)));
    TYPES.put(
        "i32",
        new Typed("INT32", DataType.INT32_VALUE, List.of(-2147483648L, 2147483647L, 0L, 1L)));
    TYPES.put(
        "i64",
        new Typed(
            "INT64", DataType.INT64_VALUE, List.of(9007199254740993L, -1L, 0L, Long.MAX_VALUE)));
    TYPES.put("u8", new Typed("UINT8", DataType.UINT8_VALUE, List.of(0L, 255L, 128L, 7L)));
    TYPES.put("u16", new Typed("UINT16", DataType.UINT16_VALUE, List.of(0L, 65535L, 1L, 40000L)));
    TYPES.put(
        "u32",
        new Typed("UINT32", DataType.UINT32_VALUE, List.of(0L, 4294967295L, 1L, 3000000000L)));
    // 18446744073709551615 and 9223372036854775808 as their two's complement bits
    TYPES.put(
        "u64", new Typed("UINT64", DataType.UINT64_VALUE, List.of(0L, -1L, Long.MIN_VALUE, 7L)));
    TYPES.put("b", new Typed("BOOL", DataType.BOOL_VALUE, List.of(true, false, false, true)));
    TYPES.put(
        "s", new Typed("BYTES", DataType.STRING_VALUE, List.of("hello", "", "naïve ✓", "a\"b")));
  }

  @Test
  void every_datatype_answers_the_same_in_binary_as_in_json() throws Exception {
    Map<String, Integer> onnxTypes = new LinkedHashMap<>();
    TYPES.forEach((name, typed) -> onnxTypes.put(name, typed.onnx()));
    String model = uniqueName("binary-types");
    promote(
        model,
        "production",
        register(model, OnnxModels.identity(onnxTypes).toByteArray(), "t.onnx"));
    awaitServing(model, "production", 1);
    String path = "/v2/models/" + model + "/infer";

    List<Map<String, Object>> jsonInputs = new ArrayList<>();
    TYPES.forEach((name, typed) -> jsonInputs.add(jsonInput(name, typed)));
    Response json = api.postJson(path, Map.of("inputs", jsonInputs));
    assertThat(json.status()).as(json.toString()).isEqualTo(200);
    Map<String, JsonNode> jsonOutputs = byName(json.json());

    // All inputs binary, all outputs binary: an identity model answers the very bytes it was sent.
    List<String> all = new ArrayList<>(TYPES.keySet());
    Response binary = postBinary(path, all, Map.of("binary_data_output", true), List.of());
    assertThat(binary.status()).as(binary.toString()).isEqualTo(200);
    assertThat(binary.header("Content-Type")).startsWith("application/octet-stream");
    Map<String, byte[]> binaryOutputs = binaryOutputs(binary);
    TYPES.forEach(
        (name, typed) ->
            assertThat(binaryOutputs.get(name + "_out")).as(name).isEqualTo(bytes(typed)));

    // Binary in, JSON out: the same answer as JSON in.
    Response binaryIn = postBinary(path, all, Map.of(), List.of());
    assertThat(binaryIn.status()).as(binaryIn.toString()).isEqualTo(200);
    assertThat(binaryIn.header(LENGTH)).isNull();
    Map<String, JsonNode> fromBinary = byName(binaryIn.json());
    jsonOutputs.forEach(
        (name, output) ->
            assertThat(fromBinary.get(name).get("data")).as(name).isEqualTo(output.get("data")));

    // Mixed: some inputs binary, some JSON; one output binary, another JSON, the rest left out.
    List<String> binaryNames = List.of("f16", "u64", "s", "b");
    Response mixed =
        postBinary(
            path,
            binaryNames,
            Map.of(),
            List.of(
                Map.of("name", "f16_out", "parameters", Map.of("binary_data", true)),
                Map.of("name", "i16_out", "parameters", Map.of("binary_data", false)),
                Map.of("name", "s_out", "parameters", Map.of("binary_data", true))));
    assertThat(mixed.status()).as(mixed.toString()).isEqualTo(200);
    Map<String, byte[]> mixedBinary = binaryOutputs(mixed);
    assertThat(mixedBinary.keySet()).containsExactly("f16_out", "s_out");
    assertThat(mixedBinary.get("f16_out")).isEqualTo(bytes(TYPES.get("f16")));
    assertThat(mixedBinary.get("s_out")).isEqualTo(bytes(TYPES.get("s")));
    JsonNode i16 = byName(jsonPart(mixed)).get("i16_out");
    assertThat(i16.get("data")).isEqualTo(jsonOutputs.get("i16_out").get("data"));
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  @Test
  void binary_answers_equal_json_answers_on_every_engine() throws Exception {
    String onnx = uniqueName("binary-onnx");
    register(onnx, Fixtures.bytes("digits_mlp.onnx"), "m.onnx");
    String torch = uniqueName("binary-pt");
    registerTorchScript(torch, Fixtures.bytes("digits_mlp.pt"), Fixtures.DIGITS_SIGNATURE);
    String tf = uniqueName("binary-tf");
    register(
        tf,
        Archives.tarGz(
            SavedModels.entries(
                "digits",
                SavedModels.fromOnnxMlp(ModelProto.parseFrom(Fixtures.bytes("digits_mlp.onnx"))))),
        "digits.tar.gz");
    for (String model : List.of(onnx, torch, tf)) {
      promote(model, "production", 1);
    }
    float[][] digits = Arrays.copyOf(DigitsReference.inputs(), 3);
    for (String model : List.of(onnx, torch, tf)) {
      awaitServing(model, "production", 1);
      JsonNode metadata = api.get("/v2/models/" + model).json();
      String input = metadata.get("inputs").get(0).get("name").asString();
      String output = metadata.get("outputs").get(0).get("name").asString();
      List<Float> flat = new ArrayList<>();
      ByteBuffer raw = ByteBuffer.allocate(3 * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float[] digit : digits) {
        for (float v : digit) {
          flat.add(v);
          raw.putFloat(v);
        }
      }
      String path = "/v2/models/" + model + "/infer";
      Response json = api.postJson(path, v2Body(input, "FP32", List.of(3, 64), flat));
      assertThat(json.status()).as(model + ": " + json).isEqualTo(200);
      JsonNode expected = byName(json.json()).get(output);

      String header =
          json(
              Map.of(
                  "inputs",
                  List.of(
                      Map.of(
                          "name",
                          input,
                          "datatype",
                          "FP32",
                          "shape",
                          List.of(3, 64),
                          "parameters",
                          Map.of("binary_data_size", raw.capacity()))),
                  "outputs",
                  List.of(Map.of("name", output, "parameters", Map.of("binary_data", true)))));
      Response binary = post(path, header, raw.array());
      assertThat(binary.status()).as(model + ": " + binary).isEqualTo(200);
      JsonNode described = byName(jsonPart(binary)).get(output);
      assertThat(described.get("shape")).isEqualTo(expected.get("shape"));
      assertThat(described.get("datatype").asString()).isEqualTo("FP32");
      ByteBuffer answer =
          ByteBuffer.wrap(binaryOutputs(binary).get(output)).order(ByteOrder.LITTLE_ENDIAN);
      assertThat(answer.remaining()).isEqualTo(expected.get("data").size() * 4);
      for (JsonNode value : expected.get("data")) {
        assertThat(answer.getFloat()).as(model).isEqualTo(value.floatValue());
      }
      api.delete("/api/v1/models/" + model + "/aliases/production");
    }
  }

  @Test
  void binary_bodies_that_do_not_add_up_are_400s_naming_the_fix() {
    String model = uniqueName("binary-bad");
    String strings = uniqueName("binary-bad-s");
    byte[] f32 = OnnxModels.identity(Map.of("f32", DataType.FLOAT_VALUE)).toByteArray();
    byte[] s = OnnxModels.identity(Map.of("s", DataType.STRING_VALUE)).toByteArray();
    promote(model, "production", register(model, f32, "b.onnx"));
    promote(strings, "production", register(strings, s, "s.onnx"));
    awaitServing(model, "production", 1);
    awaitServing(strings, "production", 1);
    String path = "/v2/models/" + model + "/infer";
    String stringsPath = "/v2/models/" + strings + "/infer";
    byte[] floats = bytes(TYPES.get("f32"));
    String good = header("f32", "FP32", floats.length);

    Map<String, Response> refused = new LinkedHashMap<>();
    refused.put("wrong binary_data_size", post(path, header("f32", "FP32", 12), floats));
    refused.put("body shorter than declared", post(path, good, Arrays.copyOf(floats, 8)));
    refused.put("body longer than declared", post(path, good, Arrays.copyOf(floats, 20)));
    refused.put(
        "header length past the body", api.post(path, concat(good, floats), LENGTH, "100000"));
    refused.put(
        "header length not a number", api.post(path, concat(good, floats), LENGTH, "twelve"));
    refused.put(
        "header length cutting the JSON",
        api.post(path, concat(good, floats), LENGTH, Integer.toString(good.length() - 3)));
    refused.put(
        "binary_data_size without the header",
        api.post(path, good.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json"));
    refused.put(
        "data and binary_data_size",
        post(
            path,
            "{\"inputs\":[{\"name\":\"f32\",\"datatype\":\"FP32\",\"shape\":[2,2],\"data\":[1,2,3,4],"
                + "\"parameters\":{\"binary_data_size\":16}}]}",
            floats));
    refused.put(
        "BYTES element longer than the body",
        post(
            stringsPath,
            header("s", "BYTES", 8),
            ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(100).putInt(0).array()));
    refused.put(
        "BYTES that is not UTF-8",
        post(
            stringsPath,
            "{\"inputs\":[{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[1],"
                + "\"parameters\":{\"binary_data_size\":6}}]}",
            ByteBuffer.allocate(6)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(2)
                .put((byte) 0xC3)
                .put((byte) 0x28)
                .array()));
    refused.forEach(
        (what, response) -> {
          assertThat(response.status()).as(what + ": " + response).isEqualTo(400);
          assertThat(response.json().get("error").asString()).as(what).isNotBlank();
        });
    // A BOOL byte other than 0 or 1 is true (as in Triton), never passed on as it came.
    String booleans = uniqueName("binary-bool");
    byte[] b = OnnxModels.identity(Map.of("b", DataType.BOOL_VALUE)).toByteArray();
    promote(booleans, "production", register(booleans, b, "b.onnx"));
    awaitServing(booleans, "production", 1);
    Response bools =
        post("/v2/models/" + booleans + "/infer", header("b", "BOOL", 4), new byte[] {2, 0, 0, -1});
    assertThat(bools.status()).as(bools.toString()).isEqualTo(200);
    assertThat(bools.json().get("outputs").get(0).get("data").toString())
        .isEqualTo("[true,false,false,true]");
    api.delete("/api/v1/models/" + booleans + "/aliases/production");
    Response fine = post(path, good, floats);
    assertThat(fine.status()).as(fine.toString()).isEqualTo(200);
    api.delete("/api/v1/models/" + model + "/aliases/production");
    api.delete("/api/v1/models/" + strings + "/aliases/production");
  }

  private static String header(String name, String datatype, int size) {
    return "{\"inputs\":[{\"name\":\""
        + name
        + "\",\"datatype\":\""
        + datatype
        + "\",\"shape\":[2,2],\"parameters\":{\"binary_data_size\":"
        + size
        + "}}]}";
  }

  private static Map<String, Object> jsonInput(String name, Typed typed) {
    List<Object> data = new ArrayList<>();
    for (Object v : typed.values()) {
      data.add(
          typed.datatype().equals("UINT64") && ((Long) v) < 0
              ? new java.math.BigInteger(Long.toUnsignedString((Long) v))
              : v);
    }
    return Map.of("name", name, "datatype", typed.datatype(), "shape", List.of(2, 2), "data", data);
  }

  /** A request whose {@code binary} inputs come as bytes, the others as JSON. */
  private Response postBinary(
      String path, List<String> binary, Map<String, Object> parameters, List<Object> outputs)
      throws Exception {
    List<Map<String, Object>> inputs = new ArrayList<>();
    ByteArrayOutputStream tail = new ByteArrayOutputStream();
    for (var entry : TYPES.entrySet()) {
      String name = entry.getKey();
      Typed typed = entry.getValue();
      if (binary.contains(name)) {
        byte[] elements = bytes(typed);
        tail.write(elements);
        inputs.add(
            Map.of(
                "name",
                name,
                "datatype",
                typed.datatype(),
                "shape",
                List.of(2, 2),
                "parameters",
                Map.of("binary_data_size", elements.length)));
      } else {
        inputs.add(jsonInput(name, typed));
      }
    }
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("inputs", inputs);
    request.put("parameters", parameters);
    if (!outputs.isEmpty()) {
      request.put("outputs", outputs);
    }
    return post(path, json(request), tail.toByteArray());
  }

  private Response post(String path, String header, byte[] tail) {
    return api.post(
        path,
        concat(header, tail),
        LENGTH,
        Integer.toString(header.getBytes(StandardCharsets.UTF_8).length),
        "Content-Type",
        "application/octet-stream");
  }

  private static byte[] concat(String header, byte[] tail) {
    byte[] head = header.getBytes(StandardCharsets.UTF_8);
    byte[] body = Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, body, head.length, tail.length);
    return body;
  }

  private String json(Object value) {
    return json.writeValueAsString(value);
  }

  /** The values of {@code typed} as the binary extension carries them, written here by hand. */
  private static byte[] bytes(Typed typed) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object v : typed.values()) {
      ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
      switch (typed.datatype()) {
        case "FP32" -> b.putFloat((Float) v);
        case "FP64" -> b.putDouble((Double) v);
        case "FP16" -> b.putShort(HalfFloats.toHalf((Float) v));
        case "BF16" -> b.putShort((short) (Float.floatToIntBits((Float) v) >>> 16));
        case "INT8", "UINT8" -> b.put((byte) (long) (Long) v);
        case "INT16", "UINT16" -> b.putShort((short) (long) (Long) v);
        case "INT32", "UINT32" -> b.putInt((int) (long) (Long) v);
        case "INT64", "UINT64" -> b.putLong((Long) v);
        case "BOOL" -> b.put((byte) ((Boolean) v ? 1 : 0));
        default -> {
          byte[] text = ((String) v).getBytes(StandardCharsets.UTF_8);
          b.putInt(text.length).put(text);
        }
      }
      out.write(b.array(), 0, b.position());
    }
    return out.toByteArray();
  }

  private JsonNode jsonPart(Response response) {
    int length = Integer.parseInt(response.header(LENGTH));
    return json.readTree(Arrays.copyOf(response.body(), length));
  }

  /** The binary outputs of an answer, by name, in the order its JSON part lists them. */
  private Map<String, byte[]> binaryOutputs(Response response) {
    int at = Integer.parseInt(response.header(LENGTH));
    Map<String, byte[]> outputs = new LinkedHashMap<>();
    for (JsonNode output : jsonPart(response).get("outputs")) {
      JsonNode parameters = output.get("parameters");
      if (parameters != null && parameters.has("binary_data_size")) {
        assertThat(output.has("data")).isFalse();
        int size = parameters.get("binary_data_size").asInt();
        outputs.put(
            output.get("name").asString(), Arrays.copyOfRange(response.body(), at, at + size));
        at += size;
      }
    }
    assertThat(at)
        .as("the binary part ends with the last output")
        .isEqualTo(response.body().length);
    return outputs;
  }

  private static Map<String, JsonNode> byName(JsonNode answer) {
    Map<String, JsonNode> outputs = new LinkedHashMap<>();
    answer.get("outputs").forEach(o -> outputs.put(o.get("name").asString(), o));
    return outputs;
  }
}
