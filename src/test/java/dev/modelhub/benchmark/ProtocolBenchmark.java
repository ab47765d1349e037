package dev.modelhub.benchmark;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.grpc.OipGrpcServer;
import dev.modelhub.serving.internal.EngineBootstrap;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestSecrets;
import inference.GrpcPredictV2.ModelInferRequest;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * Inference protocols side by side in one run ({@code ./mvnw -Pbenchmark verify
 * -Dit.test=ProtocolBenchmark}): the common hand-written alternative (FastAPI + uvicorn +
 * TorchScript, Debian's packages, started here) against Modelhub's v2 JSON, v2 binary and gRPC, all
 * driven from separate processes at the same concurrency — HTTP by {@code wrk}, gRPC by {@code
 * h2load} (nghttp2-client, which has no percentiles: gRPC's p99 comes from a Java client in this
 * JVM) — then the digits CNN against its in-process engine calls, then dynamic batching with 64
 * one-row clients.
 */
class ProtocolBenchmark extends ServingTest {

  private static final String SECONDS = System.getProperty("benchmark.seconds", "6");

  /**
   * Warm-up of each cell before it is measured. The node's JIT takes about a minute of load on this
   * machine to reach its plateau (measured: 918 → 1,545 → 3,950 req/s for v2 JSON over the first 80
   * s), which a cell of a few seconds would otherwise measure instead of the server.
   */
  private static final String WARMUP = System.getProperty("benchmark.warmup", "15");

  @Autowired OipGrpcServer grpc;
  @Autowired ServingProperties servingProperties;
  @TempDir Path temp;

  /** One measured cell. */
  record Cell(String tool, double perSecond, double p50Millis, double p99Millis, long failed) {}

  @Test
  void protocol_benchmark() throws Exception {
    EngineBootstrap.prepare(servingProperties);
    byte[] pt = Fixtures.bytes("digits_mlp.pt");
    String torch = uniqueName("bench-proto-pt");
    promote(torch, "production", registerTorchScript(torch, pt, Fixtures.DIGITS_SIGNATURE));
    String onnx = uniqueName("bench-proto-onnx");
    promote(onnx, "production", register(onnx, Fixtures.bytes("digits_mlp.onnx"), "m.onnx"));
    String cnn = uniqueName("bench-proto-cnn");
    promote(cnn, "production", register(cnn, Fixtures.bytes("digits_cnn.onnx"), "c.onnx"));
    String batched = uniqueName("bench-proto-batched");
    Response created =
        api.uploadMultipart(
            batched,
            Fixtures.bytes("digits_cnn.onnx"),
            "c.onnx",
            "{\"batching\":{\"maxBatchSize\":64,\"maxQueueDelayMicros\":2000,"
                + "\"preferredBatchSizes\":[32,64]}}");
    promote(batched, "production", created.json().get("version").asInt());
    for (String model : List.of(torch, onnx, cnn, batched)) {
      awaitServing(model, "production", 1);
    }
    float[] digit = DigitsReference.inputs()[0];

    Path peerModel = Files.write(temp.resolve("digits_mlp.pt"), pt);
    int peerPort = freePort();
    Process peer =
        new ProcessBuilder(
                "/usr/bin/python3",
                Path.of("src/test/python/fastapi_peer.py").toAbsolutePath().toString(),
                peerModel.toString(),
                Integer.toString(peerPort))
            .redirectErrorStream(true)
            .redirectOutput(temp.resolve("peer.log").toFile())
            .start();
    List<String> table = new ArrayList<>();
    try {
      awaitPeer(peerPort);
      String json = DigitsReference.v2Body(digit);
      // The server's shared path (Tomcat, security, admission, engine hosts) first, to its plateau.
      wrk(port, "/v2/models/" + onnx + "/infer", json.getBytes(), null, 8, "60");
      Cell peerCell = wrk(peerPort, "/v2/models/digits/infer", json.getBytes(), null, 8);
      table.add(
          row("FastAPI + uvicorn + TorchScript (peer)", "MLP", "v2 JSON", peerCell, peerCell));
      for (String[] model : new String[][] {{torch, "TorchScript MLP"}, {onnx, "ONNX MLP"}}) {
        String path = "/v2/models/" + model[0] + "/infer";
        table.add(
            row(
                "Modelhub",
                model[1],
                "v2 JSON",
                wrk(port, path, json.getBytes(), null, 8),
                peerCell));
        table.add(
            row(
                "Modelhub",
                model[1],
                "v2 binary",
                binary(path, "input", List.of(1, 64), digit, 8),
                peerCell));
        table.add(
            row(
                "Modelhub",
                model[1],
                "gRPC",
                grpcCell(model[0], List.of(1L, 64L), digit, 8),
                peerCell));
      }
    } finally {
      peer.destroy();
      peer.waitFor(10, TimeUnit.SECONDS);
    }

    // The digits CNN: its engine called in this process against HTTP binary and gRPC.
    JsonNode input = api.get("/v2/models/" + cnn).json().get("inputs").get(0);
    List<Long> cnnShape = new ArrayList<>();
    input.get("shape").forEach(d -> cnnShape.add(d.asLong() < 0 ? 1L : d.asLong()));
    Cell inProcess = inProcess(Fixtures.bytes("digits_cnn.onnx"), cnnShape, digit, 8);
    table.add(row("in-process engine calls", "ONNX CNN", "none", inProcess, inProcess));
    String cnnPath = "/v2/models/" + cnn + "/infer";
    List<Integer> intShape = cnnShape.stream().map(Long::intValue).toList();
    table.add(
        row(
            "Modelhub",
            "ONNX CNN",
            "v2 binary",
            binary(cnnPath, input.get("name").asString(), intShape, digit, 8),
            inProcess));
    table.add(row("Modelhub", "ONNX CNN", "gRPC", grpcCell(cnn, cnnShape, digit, 8), inProcess));

    // Dynamic batching: 64 one-row clients, the same CNN without and with batching.
    Cell single = inProcess(Fixtures.bytes("digits_cnn.onnx"), cnnShape, digit, 1);
    Cell unbatched = binary(cnnPath, input.get("name").asString(), intShape, digit, 64);
    Cell withBatching =
        binary(
            "/v2/models/" + batched + "/infer", input.get("name").asString(), intShape, digit, 64);
    table.add(row("Modelhub, no batching", "ONNX CNN", "v2 binary c64", unbatched, unbatched));
    table.add(
        row("Modelhub, batching 64 / 2 ms", "ONNX CNN", "v2 binary c64", withBatching, unbatched));

    StringBuilder out =
        new StringBuilder("\nProtocol benchmark (one row per request, ")
            .append(SECONDS)
            .append(" s per cell, ")
            .append(Runtime.getRuntime().availableProcessors())
            .append(" cores; ratio: to the first row of its group)\n\n")
            .append(
                "| server | model | protocol | client | req/s | p50 ms | p99 ms | failed | ratio |\n")
            .append("|---|---|---|---|---|---|---|---|---|\n");
    table.forEach(r -> out.append(r).append('\n'));
    out.append(
        String.format(
            "%nBatching: single in-process CNN call p50 %.3f ms; bound on p99 = 2 ms delay + 2 × single"
                + " = %.3f ms; batched p99 %.3f ms; throughput %.2f× unbatched%n",
            single.p50Millis(),
            2 + 2 * single.p50Millis(),
            withBatching.p99Millis(),
            withBatching.perSecond() / unbatched.perSecond()));
    System.out.println(out);
  }

  private static String row(String server, String model, String protocol, Cell cell, Cell base) {
    return String.format(
        "| %s | %s | %s | %s | %.0f | %.3f | %.3f | %d | %.2f |",
        server,
        model,
        protocol,
        cell.tool(),
        cell.perSecond(),
        cell.p50Millis(),
        cell.p99Millis(),
        cell.failed(),
        cell.perSecond() / base.perSecond());
  }

  /** One FP32 input of {@code shape} in the binary extension, driven by wrk. */
  private Cell binary(
      String path, String name, List<Integer> shape, float[] values, int connections)
      throws Exception {
    String header =
        json.writeValueAsString(
            Map.of(
                "inputs",
                List.of(
                    Map.of(
                        "name",
                        name,
                        "datatype",
                        "FP32",
                        "shape",
                        shape,
                        "parameters",
                        Map.of("binary_data_size", values.length * 4))),
                "parameters",
                Map.of("binary_data_output", true)));
    byte[] head = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer body =
        ByteBuffer.allocate(head.length + values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    body.put(head);
    for (float v : values) {
      body.putFloat(v);
    }
    return wrk(port, path, body.array(), Integer.toString(head.length), connections);
  }

  private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
  private static final Pattern SOCKET =
      Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

  /** wrk from its own process, 2 threads, {@code connections} connections, with percentiles. */
  private Cell wrk(int target, String path, byte[] body, String headerLength, int connections)
      throws Exception {
    return wrk(target, path, body, headerLength, connections, WARMUP);
  }

  private Cell wrk(
      int target, String path, byte[] body, String headerLength, int connections, String warmup)
      throws Exception {
    Path bodyFile = Files.write(Files.createTempFile(temp, "body", ".bin"), body);
    Path script = temp.resolve("post.lua");
    Files.writeString(
        script,
        """
        wrk.method = "POST"
        local f = io.open(os.getenv("BODY"), "rb")
        wrk.body = f:read("*all")
        f:close()
        wrk.headers["Content-Type"] = os.getenv("CTYPE")
        wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
        local h = os.getenv("HLEN")
        if h ~= nil and h ~= "" then wrk.headers["Inference-Header-Content-Length"] = h end
        """);
    String url = "http://127.0.0.1:" + target + path;
    run(
        List.of(
            "wrk", "-t2", "-c" + connections, "-d" + warmup + "s", "-s", script.toString(), url),
        bodyFile,
        headerLength);
    String out =
        run(
            List.of(
                "wrk",
                "-t2",
                "-c" + connections,
                "-d" + SECONDS + "s",
                "--latency",
                "-s",
                script.toString(),
                url),
            bodyFile,
            headerLength);
    long failed = 0;
    Matcher non2xx = NON_2XX.matcher(out);
    if (non2xx.find()) {
      failed += Long.parseLong(non2xx.group(1));
    }
    Matcher socket = SOCKET.matcher(out);
    if (socket.find()) {
      for (int g = 1; g <= 4; g++) {
        failed += Long.parseLong(socket.group(g));
      }
    }
    Matcher rate = RATE.matcher(out);
    if (!rate.find()) {
      throw new IllegalStateException("no rate in wrk's output:\n" + out);
    }
    return new Cell(
        "wrk",
        Double.parseDouble(rate.group(1)),
        percentile(out, "50%"),
        percentile(out, "99%"),
        failed);
  }

  private static double percentile(String wrk, String which) {
    Matcher m = Pattern.compile("\\s" + which + "\\s+([0-9.]+)(us|ms|s)").matcher(wrk);
    if (!m.find()) {
      return Double.NaN;
    }
    double value = Double.parseDouble(m.group(1));
    return switch (m.group(2)) {
      case "us" -> value / 1000;
      case "s" -> value * 1000;
      default -> value;
    };
  }

  private String run(List<String> command, Path body, String headerLength) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("BODY", body.toString());
    builder
        .environment()
        .put("CTYPE", headerLength == null ? "application/json" : "application/octet-stream");
    builder.environment().put("KEY", TestSecrets.adminKey());
    builder.environment().put("HLEN", headerLength == null ? "" : headerLength);
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor(2, TimeUnit.MINUTES);
    return out;
  }

  private static final Pattern H2_RATE = Pattern.compile("finished in [0-9.]+m?s, ([0-9.]+) req/s");
  private static final Pattern H2_REQUESTS =
      Pattern.compile(
          "requests: \\d+ total, \\d+ started, \\d+ done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored");
  private static final Pattern H2_MEAN =
      Pattern.compile("time for request:\\s+\\S+\\s+\\S+\\s+([0-9.]+)(us|ms|s)");

  /**
   * gRPC ModelInfer with raw contents: h2load (its own process) for the rate and mean; the p99 from
   * a Java gRPC client in this JVM at the same concurrency.
   */
  private Cell grpcCell(String model, List<Long> shape, float[] values, int connections)
      throws Exception {
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      raw.putFloat(v);
    }
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName(model)
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(
                        api.get("/v2/models/" + model)
                            .json()
                            .get("inputs")
                            .get(0)
                            .get("name")
                            .asString())
                    .setDatatype("FP32")
                    .addAllShape(shape))
            .addRawInputContents(com.google.protobuf.ByteString.copyFrom(raw.array()))
            .build();
    byte[] message = request.toByteArray();
    ByteBuffer frame = ByteBuffer.allocate(5 + message.length);
    frame.put((byte) 0).putInt(message.length).put(message);
    Path body = Files.write(Files.createTempFile(temp, "grpc", ".bin"), frame.array());
    List<String> command =
        List.of(
            "h2load",
            "-c" + connections,
            "-m1",
            "-t2",
            "-D" + SECONDS,
            "--warm-up-time=" + WARMUP,
            "-H",
            "content-type: application/grpc",
            "-H",
            "te: trailers",
            "-H",
            "authorization: Bearer " + TestSecrets.adminKey(),
            "-d",
            body.toString(),
            "http://127.0.0.1:" + grpc.port() + "/inference.GRPCInferenceService/ModelInfer");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor(2, TimeUnit.MINUTES);
    Matcher rate = H2_RATE.matcher(out);
    Matcher requests = H2_REQUESTS.matcher(out);
    if (!rate.find() || !requests.find()) {
      throw new IllegalStateException("no rate in h2load's output:\n" + out);
    }
    long failed = Long.parseLong(requests.group(2)) + Long.parseLong(requests.group(3));
    // p99 from a Java client (h2load reports no percentiles): same calls, same concurrency.
    var channel =
        io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
            .usePlaintext()
            .build();
    try {
      io.grpc.Metadata metadata = new io.grpc.Metadata();
      metadata.put(
          io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + TestSecrets.adminKey());
      var stub =
          inference.GRPCInferenceServiceGrpc.newBlockingStub(channel)
              .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(metadata));
      LoadGenerator.Call call = () -> stub.modelInfer(request).getRawOutputContentsCount() == 1;
      LoadGenerator.run(connections, 3, () -> call);
      LoadGenerator.Result java =
          LoadGenerator.run(connections, Double.parseDouble(SECONDS), () -> call);
      return new Cell(
          "h2load (p99: Java)",
          Double.parseDouble(rate.group(1)),
          java.percentileMillis(50),
          java.percentileMillis(99),
          failed + java.failures());
    } finally {
      channel.shutdownNow();
    }
  }

  /** The model's engine called directly in this process (DJL, ONNX Runtime, one thread each). */
  private Cell inProcess(byte[] model, List<Long> shape, float[] values, int threads)
      throws Exception {
    Path file = Files.write(Files.createTempFile(temp, "model", ".onnx"), model);
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(file)
            .optEngine("OnnxRuntime")
            .optTranslator(new NoopTranslator())
            .optOption("interOpNumThreads", "1")
            .optOption("intraOpNumThreads", "1")
            .build();
    long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
    try (ZooModel<NDList, NDList> direct = criteria.loadModel()) {
      java.util.function.Supplier<LoadGenerator.Call> perThread =
          () -> {
            Predictor<NDList, NDList> predictor = direct.newPredictor();
            return () -> {
              try (NDManager manager = direct.getNDManager().newSubManager()) {
                NDArray x = manager.create(values, new Shape(dims));
                return predictor.predict(new NDList(x)).size() == 1;
              }
            };
          };
      LoadGenerator.run(threads, Double.parseDouble(WARMUP), perThread);
      LoadGenerator.Result result =
          LoadGenerator.run(threads, Double.parseDouble(SECONDS), perThread);
      return new Cell(
          "Java threads",
          result.throughput(),
          result.percentileMillis(50),
          result.percentileMillis(99),
          result.failures());
    }
  }

  private static void awaitPeer(int port) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/health/ready"))
            .timeout(Duration.ofSeconds(2))
            .build();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < until) {
      try {
        if (client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the FastAPI peer did not start on port " + port);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
