package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.modelhub.serving.grpc.OipGrpcServer;
import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestSecrets;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferParameter;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * Pipelines kept with a version: the digits test set rendered as PNG images goes through every
 * protocol and is classified as its tensors are; a pipeline that does not fit is refused; one set
 * later applies at once; a promotion swaps model and pipeline together without a failed request.
 */
class PipelineIT extends ServingTest {

  @Autowired OipGrpcServer grpc;

  private static final List<String> NAMES =
      List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");

  /** Grayscale, 8 × 8 as the CNN takes it, scaled to [0, 1] as the digits data is. */
  private static final String CNN_PIPELINE =
      """
      {"preprocess": [
         {"type": "decode", "color": "grayscale"},
         {"type": "resize", "width": 8, "height": 8, "interpolation": "bilinear"},
         {"type": "scale", "min": 0, "max": 1},
         {"type": "layout", "layout": "NCHW"}],
       "postprocess": [{"type": "softmax"}, {"type": "topK", "k": 3}]}""";

  private static List<float[]> pixels;
  private static List<Integer> labels;
  private static List<byte[]> images;

  @BeforeAll
  static void digits() {
    pixels = new ArrayList<>();
    labels = new ArrayList<>();
    images = new ArrayList<>();
    List<String> lines =
        new String(Fixtures.data("digits-test.csv"), StandardCharsets.UTF_8).lines().toList();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",");
      float[] row = new float[64];
      for (int i = 0; i < 64; i++) {
        row[i] = Float.parseFloat(cells[i]);
      }
      pixels.add(row);
      labels.add(Integer.parseInt(cells[64].trim()));
      images.add(png(row));
    }
  }

  /** A digit as a 32 × 32 gray PNG: each of its 8 × 8 pixels a 4 × 4 block. */
  static byte[] png(float[] digit) {
    BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        image.getRaster().setSample(x, y, 0, Math.round(digit[(y / 4) * 8 + x / 4] * 255));
      }
    }
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private int uploadCnn(String model, String pipeline, List<String> labelNames) {
    List<Api.Part> parts = new ArrayList<>();
    if (pipeline != null) {
      parts.add(
          new Api.Part(
              "metadata",
              null,
              "application/json",
              ("{\"pipeline\":" + pipeline + "}").getBytes(StandardCharsets.UTF_8)));
    }
    if (labelNames != null) {
      parts.add(
          new Api.Part(
              "labels",
              "labels.txt",
              "text/plain",
              (String.join("\n", labelNames) + "\n").getBytes(StandardCharsets.UTF_8)));
    }
    parts.add(
        new Api.Part(
            "file", "cnn.onnx", "application/octet-stream", Fixtures.bytes("digits_cnn.onnx")));
    Response created = api.multipart("/api/v1/models/" + model + "/versions", parts);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    return created.json().get("version").asInt();
  }

  @Test
  void digit_images_through_every_protocol_are_classified_as_their_tensors_are() {
    String model = uniqueName("pipeline");
    int version = uploadCnn(model, CNN_PIPELINE, NAMES);
    JsonNode registered = api.get("/api/v1/models/" + model + "/versions/" + version).json();
    assertThat(registered.get("pipeline").get("labels")).hasSize(10);
    assertThat(registered.get("pipeline").get("preprocess").get(1).get("type").asString())
        .isEqualTo("resize");
    promote(model, "production", version);
    awaitServing(model, "production", version);
    assertThat(
            api.get("/v2/models/" + model).json().get("pipeline").get("labels").get(7).asString())
        .isEqualTo("seven");

    int n = pixels.size();
    List<Integer> tensorPath = new ArrayList<>();
    List<Integer> v2Json = new ArrayList<>();
    List<Integer> v2Binary = new ArrayList<>();
    List<Integer> tfClassify = new ArrayList<>();
    List<Integer> predict = new ArrayList<>();
    List<Integer> grpcImages = new ArrayList<>();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    int batch = 75;
    for (int from = 0; from < n; from += batch) {
      List<Integer> rows = range(from, Math.min(n, from + batch));
      tensorPath.addAll(tensors(model, rows));
      v2Json.addAll(v2Classification(model, rows));
      v2Binary.addAll(v2BinaryImages(model, rows));
      tfClassify.addAll(classify(model, rows));
      predict.addAll(predictMultipart(model, rows));
      grpcImages.addAll(grpcClassification(channel, model, rows));
    }
    channel.shutdownNow();
    double tensorAccuracy = accuracy(tensorPath);
    assertThat(tensorAccuracy).isGreaterThan(0.9);
    Map<String, List<Integer>> protocols = new LinkedHashMap<>();
    protocols.put("v2 JSON + classification", v2Json);
    protocols.put("v2 binary", v2Binary);
    protocols.put("TF Serving :classify", tfClassify);
    protocols.put("predict (multipart)", predict);
    protocols.put("gRPC + classification", grpcImages);
    for (Map.Entry<String, List<Integer>> protocol : protocols.entrySet()) {
      double accuracy = accuracy(protocol.getValue());
      System.out.printf(
          "pipeline accuracy %-26s %.4f (tensors %.4f, %d digits)%n",
          protocol.getKey(), accuracy, tensorAccuracy, n);
      assertThat(Math.abs(accuracy - tensorAccuracy))
          .as(protocol.getKey())
          .isLessThanOrEqualTo(0.005);
    }
  }

  @Test
  void tensor_requests_skip_the_pipeline_and_bad_images_are_the_clients_fault() {
    String model = uniqueName("pipeline-bad");
    int version = uploadCnn(model, CNN_PIPELINE, NAMES);
    promote(model, "production", version);
    awaitServing(model, "production", version);
    // A client sending ready tensors gets logits as before.
    Response tensors = api.postJson("/v2/models/" + model + "/infer", cnnBody(List.of(0)));
    assertThat(tensors.status()).as(tensors.toString()).isEqualTo(200);
    assertThat(tensors.json().get("outputs").get(0).get("shape").toString()).isEqualTo("[1,10]");

    byte[] png = images.get(0);
    byte[] truncated = java.util.Arrays.copyOf(png, png.length / 3);
    for (byte[] bad : List.of(truncated, "GIF89a but not really".getBytes(), new byte[0])) {
      Response refused =
          api.multipart(
              "/api/v1/models/" + model + "/predict",
              List.of(new Api.Part("image", "x.png", "image/png", bad)));
      assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
      assertThat(refused.json().get("detail").asString()).contains("Image 0");
    }
    BufferedImage huge = new BufferedImage(5000, 4000, BufferedImage.TYPE_BYTE_GRAY);
    Response tooMany =
        api.multipart(
            "/api/v1/models/" + model + "/predict",
            List.of(new Api.Part("image", "big.png", "image/png", png(huge))));
    assertThat(tooMany.status()).as(tooMany.toString()).isEqualTo(400);
    assertThat(tooMany.json().get("detail").asString())
        .contains("20000000 pixels; at most 8388608");
    Response tooManyExamples =
        api.postJson(
            "/v1/models/" + model + ":classify",
            Map.of("examples", java.util.Collections.nCopies(1025, Map.of())));
    assertThat(tooManyExamples.status()).as(tooManyExamples.toString()).isEqualTo(400);
    assertThat(tooManyExamples.json().get("error").asString()).contains("1025 examples");
    Response twoImages =
        api.postJson(
            "/v1/models/" + model + ":classify",
            Map.of(
                "examples",
                List.of(Map.of("a", Map.of("b64", "AA=="), "b", Map.of("b64", "AA==")))));
    assertThat(twoImages.status()).as(twoImages.toString()).isEqualTo(400);
    assertThat(twoImages.json().get("error").asString()).contains("exactly one binary feature");
    Response notBase64 =
        api.postJson(
            "/v2/models/" + model + "/infer",
            v2Body("input", "BYTES", List.of(1), List.of("%%% not base64 %%%")));
    assertThat(notBase64.status()).as(notBase64.toString()).isEqualTo(400);
    assertThat(notBase64.json().get("error").asString()).contains("not base64");
  }

  private static byte[] png(BufferedImage image) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void a_pipeline_that_does_not_fit_is_refused_at_upload_naming_the_step_and_leaves_nothing()
      throws Exception {
    String model = uniqueName("pipeline-misfit");
    uploadCnn(model, null, null);
    long rows = versionRows(model);
    int objects = objectKeys("").size();
    Response refused =
        api.uploadMultipart(
            model,
            Fixtures.bytes("digits_cnn.onnx"),
            "cnn.onnx",
            "{\"pipeline\": {\"preprocess\": [{\"type\": \"decode\", \"color\": \"grayscale\"},"
                + " {\"type\": \"resize\", \"width\": 16, \"height\": 8}]}}");
    assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
    assertThat(refused.json().get("detail").asString())
        .contains("preprocess[1] (resize) leaves width at 16, and input 'input' needs 8");
    Response unknownStep =
        api.uploadMultipart(
            model,
            Fixtures.bytes("digits_cnn.onnx"),
            "cnn.onnx",
            "{\"pipeline\": {\"preprocess\": [{\"type\": \"sharpen\"}]}}");
    assertThat(unknownStep.status()).as(unknownStep.toString()).isEqualTo(400);
    Response tooFewLabels =
        api.multipart(
            "/api/v1/models/" + model + "/versions",
            List.of(
                new Api.Part("labels", "labels.txt", "text/plain", "a\nb\n".getBytes()),
                new Api.Part(
                    "file",
                    "cnn.onnx",
                    "application/octet-stream",
                    Fixtures.bytes("digits_cnn.onnx"))));
    assertThat(tooFewLabels.status()).as(tooFewLabels.toString()).isEqualTo(400);
    assertThat(tooFewLabels.json().get("detail").asString())
        .contains("labels has 2 names, and output 'logits' has 10 classes");
    assertThat(versionRows(model)).isEqualTo(rows);
    assertThat(objectKeys("")).hasSize(objects);
  }

  @Test
  void a_pipeline_set_on_a_served_version_applies_without_a_reload_and_variants_inherit_it() {
    String model = uniqueName("pipeline-put");
    int version = uploadCnn(model, null, null);
    promote(model, "production", version);
    awaitServing(model, "production", version);
    String predict = "/api/v1/models/" + model + "/predict";
    List<Api.Part> one = List.of(new Api.Part("image", "d.png", "image/png", images.get(0)));
    Response before = api.multipart(predict, one);
    assertThat(before.status()).as(before.toString()).isEqualTo(400);
    assertThat(before.json().get("detail").asString()).contains("has no image pipeline");

    String path = "/api/v1/models/" + model + "/versions/" + version + "/pipeline";
    Response misfit =
        api.sendRaw(
            "PUT",
            path,
            "application/json",
            "{\"preprocess\": [{\"type\": \"decode\", \"color\": \"rgb\"}, {\"type\": \"resize\", \"width\": 8, \"height\": 8}]}"
                .getBytes());
    assertThat(misfit.status()).as(misfit.toString()).isEqualTo(400);
    assertThat(misfit.json().get("detail").asString())
        .contains("preprocess[0] (decode) leaves channels at 3");

    Map<String, Object> pipeline =
        Map.of(
            "preprocess",
            List.of(
                Map.of("type", "decode", "color", "grayscale"),
                Map.of("type", "resize", "width", 8, "height", 8),
                Map.of("type", "scale")),
            "postprocess",
            List.of(Map.of("type", "softmax"), Map.of("type", "threshold", "min", 0.5)),
            "labels",
            NAMES);
    String loadedAt = slot(api, model, "production").orElseThrow().get("loadedAt").asString();
    Response set = api.putJson(path, pipeline);
    assertThat(set.status()).as(set.toString()).isEqualTo(200);
    assertThat(set.json().get("pipeline").get("labels").get(3).asString()).isEqualTo("three");
    await().atMost(Duration.ofSeconds(30)).until(() -> api.multipart(predict, one).status() == 200);
    JsonNode answer = api.multipart(predict, one).json();
    assertThat(answer.get("version").asInt()).isEqualTo(version);
    assertThat(answer.get("predictions").get(0).get("label").asString())
        .isEqualTo(NAMES.get(labels.get(0)));
    // The threshold keeps only classes scoring at least 0.5: at most one after a softmax.
    assertThat(answer.get("predictions").get(0).get("classes").size()).isLessThanOrEqualTo(1);
    assertThat(servedVersion(api, model, "production")).isEqualTo(version);
    // The same loaded version took the new pipeline: nothing was loaded again.
    assertThat(slot(api, model, "production").orElseThrow().get("loadedAt").asString())
        .isEqualTo(loadedAt);

    JsonNode job = awaitJob(optimize(model, version, "quantize-int8-dynamic", Map.of()));
    int variant = job.get("resultVersion").asInt();
    JsonNode inherited = api.get("/api/v1/models/" + model + "/versions/" + variant).json();
    assertThat(inherited.get("pipeline")).isEqualTo(set.json().get("pipeline"));

    // Removed, the version answers tensors only again.
    Response removed = api.delete(path);
    assertThat(removed.status()).as(removed.toString()).isEqualTo(200);
    JsonNode gone = removed.json().path("pipeline");
    assertThat(gone.isNull() || gone.isMissingNode()).as(removed.toString()).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> api.multipart(predict, one).status() == 400);
    assertThat(api.multipart(predict, one).json().get("detail").asString())
        .contains("has no image pipeline");
  }

  @Test
  void promoting_a_version_with_another_pipeline_swaps_both_with_no_failed_request()
      throws Exception {
    String model = uniqueName("pipeline-swap");
    List<String> digitNames = range(0, 10).stream().map(i -> "digit-" + i).toList();
    int first = uploadCnn(model, CNN_PIPELINE, NAMES);
    int second = uploadCnn(model, CNN_PIPELINE, digitNames);
    promote(model, "production", first);
    awaitServing(model, "production", first);
    String predict = "/api/v1/models/" + model + "/predict";
    List<Api.Part> one = List.of(new Api.Part("image", "d.png", "image/png", images.get(0)));
    String expectedFirst = NAMES.get(labels.get(0));
    String expectedSecond = digitNames.get(labels.get(0));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger mismatched = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> loops = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      loops.add(
          clients.submit(
              () -> {
                while (running.get()) {
                  Response r = api.multipart(predict, one);
                  if (r.status() != 200) {
                    failed.incrementAndGet();
                    continue;
                  }
                  answered.incrementAndGet();
                  JsonNode body = r.json();
                  String label = body.get("predictions").get(0).get("label").asString();
                  int version = body.get("version").asInt();
                  // The label always comes from the pipeline of the version that answered.
                  if (!label.equals(version == first ? expectedFirst : expectedSecond)) {
                    mismatched.incrementAndGet();
                  }
                }
              }));
    }
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> answered.get() >= 20);
      promote(model, "production", second);
      awaitServing(model, "production", second);
      int after = answered.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> answered.get() >= after + 20);
    } finally {
      running.set(false);
      for (Future<?> loop : loops) {
        loop.get();
      }
      clients.shutdown();
    }
    System.out.printf(
        "pipeline swap: %d answered, %d failed, %d mismatched%n",
        answered.get(), failed.get(), mismatched.get());
    assertThat(failed.get()).isZero();
    assertThat(mismatched.get()).isZero();
    assertThat(api.multipart(predict, one).json().get("predictions").get(0).get("label").asString())
        .isEqualTo(expectedSecond);
  }

  @Test
  void tabular_rows_go_through_named_columns() {
    String model = uniqueName("pipeline-rows");
    StringBuilder columns = new StringBuilder();
    for (int i = 0; i < 64; i++) {
      columns.append(i == 0 ? "" : ",").append("{\"name\":\"p").append(i).append("\"");
      // The last pixel column is mostly 0: a default spares clients sending it.
      columns.append(i == 63 ? ",\"defaultValue\":0}" : "}");
    }
    Response created =
        api.uploadMultipart(
            model,
            Fixtures.bytes("digits_mlp.onnx"),
            "mlp.onnx",
            "{\"pipeline\":{\"preprocess\":[{\"type\":\"columns\",\"columns\":["
                + columns
                + "]}],\"postprocess\":[{\"type\":\"softmax\"},{\"type\":\"topK\",\"k\":1}]}}");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    int version = created.json().get("version").asInt();
    promote(model, "production", version);
    awaitServing(model, "production", version);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int r = 0; r < 40; r++) {
      Map<String, Object> row = new LinkedHashMap<>();
      for (int i = 0; i < 64; i++) {
        if (i < 63 || pixels.get(r)[63] != 0) {
          row.put("p" + i, pixels.get(r)[i]);
        }
      }
      rows.add(row);
    }
    Response answer = api.postJson("/api/v1/models/" + model + "/predict", Map.of("rows", rows));
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    Response reference =
        api.postJson(
            "/v2/models/" + model + "/infer",
            v2Body("input", "FP32", List.of(40, 64), pixels.subList(0, 40)));
    List<Integer> expected = argmax(reference.json().get("outputs").get(0).get("data"), 10);
    for (int r = 0; r < 40; r++) {
      assertThat(answer.json().get("predictions").get(r).get("label").asString())
          .isEqualTo(Integer.toString(expected.get(r)));
    }
    Map<String, Object> typo = new LinkedHashMap<>(rows.get(0));
    typo.put("p64", 1);
    Response unknown =
        api.postJson("/api/v1/models/" + model + "/predict", Map.of("rows", List.of(typo)));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().get("detail").asString()).contains("'p64', which is not a column");
    Map<String, Object> missing = new LinkedHashMap<>(rows.get(0));
    missing.remove("p5");
    Response absent =
        api.postJson("/api/v1/models/" + model + "/predict", Map.of("rows", List.of(missing)));
    assertThat(absent.status()).isEqualTo(400);
    assertThat(absent.json().get("detail").asString()).contains("has no 'p5'");
  }

  // --- the protocols ---

  private Map<String, Object> cnnBody(List<Integer> rows) {
    List<Float> data = new ArrayList<>();
    for (int r : rows) {
      for (float v : pixels.get(r)) {
        data.add(v);
      }
    }
    return v2Body("input", "FP32", List.of(rows.size(), 1, 8, 8), data);
  }

  private List<Integer> tensors(String model, List<Integer> rows) {
    Response r = api.postJson("/v2/models/" + model + "/infer", cnnBody(rows));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return argmax(r.json().get("outputs").get(0).get("data"), 10);
  }

  /** Base64 images in a BYTES input; Triton's classification extension answers the best class. */
  private List<Integer> v2Classification(String model, List<Integer> rows) {
    List<String> encoded =
        rows.stream().map(r -> Base64.getEncoder().encodeToString(images.get(r))).toList();
    Map<String, Object> body =
        Map.of(
            "inputs",
            List.of(
                Map.of(
                    "name",
                    "input",
                    "datatype",
                    "BYTES",
                    "shape",
                    List.of(rows.size()),
                    "data",
                    encoded)),
            "outputs",
            List.of(Map.of("name", "logits", "parameters", Map.of("classification", 2))));
    Response r = api.postJson("/v2/models/" + model + "/infer", body);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    JsonNode output = r.json().get("outputs").get(0);
    assertThat(output.get("datatype").asString()).isEqualTo("BYTES");
    assertThat(output.get("shape").toString()).isEqualTo("[" + rows.size() + ",2]");
    List<Integer> best = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      // "score:index:label", best first.
      String[] first = output.get("data").get(2 * i).asString().split(":");
      assertThat(first[2]).isEqualTo(NAMES.get(Integer.parseInt(first[1])));
      best.add(Integer.parseInt(first[1]));
    }
    return best;
  }

  /** Raw image bytes in the OIP binary extension (4-byte little-endian lengths). */
  private List<Integer> v2BinaryImages(String model, List<Integer> rows) {
    int size = rows.stream().mapToInt(r -> 4 + images.get(r).length).sum();
    ByteBuffer binary = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    for (int r : rows) {
      binary.putInt(images.get(r).length).put(images.get(r));
    }
    byte[] json =
        ("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"BYTES\",\"shape\":["
                + rows.size()
                + "],\"parameters\":{\"binary_data_size\":"
                + size
                + "}}]}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[json.length + size];
    System.arraycopy(json, 0, body, 0, json.length);
    System.arraycopy(binary.array(), 0, body, json.length, size);
    Response r =
        api.post(
            "/v2/models/" + model + "/infer",
            body,
            "Content-Type",
            "application/octet-stream",
            "Inference-Header-Content-Length",
            Integer.toString(json.length));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return argmax(r.json().get("outputs").get(0).get("data"), 10);
  }

  /** Raw image bytes in gRPC's raw_input_contents; classification as an output parameter. */
  private List<Integer> grpcClassification(
      ManagedChannel channel, String model, List<Integer> rows) {
    Metadata metadata = new Metadata();
    metadata.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + TestSecrets.adminKey());
    int size = rows.stream().mapToInt(r -> 4 + images.get(r).length).sum();
    ByteBuffer raw = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    for (int r : rows) {
      raw.putInt(images.get(r).length).put(images.get(r));
    }
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName(model)
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("input")
                    .setDatatype("BYTES")
                    .addShape(rows.size()))
            .addRawInputContents(ByteString.copyFrom(raw.array()))
            .addOutputs(
                ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                    .setName("logits")
                    .putParameters(
                        "classification", InferParameter.newBuilder().setInt64Param(1).build()))
            .build();
    ModelInferResponse response =
        GRPCInferenceServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
            .modelInfer(request);
    assertThat(response.getOutputs(0).getDatatype()).isEqualTo("BYTES");
    ByteBuffer out =
        response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    List<Integer> best = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      byte[] element = new byte[out.getInt()];
      out.get(element);
      String[] parts = new String(element, StandardCharsets.UTF_8).split(":");
      best.add(Integer.parseInt(parts[1]));
    }
    return best;
  }

  private List<Integer> classify(String model, List<Integer> rows) {
    List<Map<String, Object>> examples =
        rows.stream()
            .map(
                r ->
                    Map.<String, Object>of(
                        "image", Map.of("b64", Base64.getEncoder().encodeToString(images.get(r)))))
            .toList();
    Response r = api.postJson("/v1/models/" + model + ":classify", Map.of("examples", examples));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    List<Integer> best = new ArrayList<>();
    for (JsonNode example : r.json().get("result")) {
      assertThat(example).hasSize(3); // the pipeline's topK
      best.add(NAMES.indexOf(example.get(0).get(0).asString()));
    }
    return best;
  }

  private List<Integer> predictMultipart(String model, List<Integer> rows) {
    List<Api.Part> parts =
        rows.stream()
            .map(r -> new Api.Part("image", r + ".png", "image/png", images.get(r)))
            .toList();
    Response r = api.multipart("/api/v1/models/" + model + "/predict", parts);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    List<Integer> best = new ArrayList<>();
    for (JsonNode prediction : r.json().get("predictions")) {
      best.add(NAMES.indexOf(prediction.get("label").asString()));
      assertThat(prediction.get("score").asDouble()).isBetween(0.0, 1.0);
    }
    return best;
  }

  private static List<Integer> argmax(JsonNode flat, int classes) {
    List<Integer> best = new ArrayList<>();
    for (int row = 0; row < flat.size() / classes; row++) {
      int arg = 0;
      for (int k = 1; k < classes; k++) {
        if (flat.get(row * classes + k).asDouble() > flat.get(row * classes + arg).asDouble()) {
          arg = k;
        }
      }
      best.add(arg);
    }
    return best;
  }

  private static double accuracy(List<Integer> predicted) {
    int right = 0;
    for (int i = 0; i < predicted.size(); i++) {
      right += predicted.get(i).equals(labels.get(i)) ? 1 : 0;
    }
    return (double) right / predicted.size();
  }

  private static List<Integer> range(int from, int to) {
    List<Integer> values = new ArrayList<>();
    for (int i = from; i < to; i++) {
      values.add(i);
    }
    return values;
  }
}
