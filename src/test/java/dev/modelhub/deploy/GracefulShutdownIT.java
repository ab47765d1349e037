package dev.modelhub.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.EngineHosts;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestInfrastructure;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * What each role does when its pod is stopped (Kubernetes sends SIGTERM; Spring closes the context
 * as {@code close()} does here): requests in flight finish, new connections are refused, engines
 * close, and an upload that cannot finish within the grace period leaves nothing behind.
 */
@TestPropertySource(properties = "modelhub.roles=api")
class GracefulShutdownIT extends ServingTest {

  private static final int WIDTH = 256;

  @Autowired Environment environment;

  @Test
  void a_serving_node_finishes_requests_in_flight_refuses_new_ones_and_closes_its_engines()
      throws Exception {
    String model = uniqueName("drain");
    String alias = uniqueName("drain");
    int version = register(model, OnnxModels.slowIdentity(WIDTH, 1500).toByteArray(), "slow.onnx");
    ConfigurableApplicationContext node =
        startNode(
            environment,
            Map.of(
                "modelhub.roles", "serving",
                "modelhub.serving.aliases", alias,
                "modelhub.serving.inference-timeout", "5m",
                "spring.lifecycle.timeout-per-shutdown-phase", "5m"));
    int port = port(node);
    Api serving = new Api(port, json);
    awaitServingAfterPromote(serving, model, alias, version);
    ProcessHandle host = EngineHosts.of(model, version);

    // About 100 GFLOP: long enough to still be running when the node starts shutting down.
    int rows = 1024;
    Map<String, Object> body =
        v2Body("input", "FP32", List.of(rows, WIDTH), Collections.nCopies(rows * WIDTH, 1.0));
    CompletableFuture<Response> inFlight =
        CompletableFuture.supplyAsync(
            () -> serving.postJson("/v2/models/" + model + "/infer", body));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> admitted(serving, model) == 1);

    CompletableFuture<Void> closing = CompletableFuture.runAsync(node::close);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> !accepts(port));
    assertThat(inFlight)
        .as("new connections are refused while the request in flight still runs")
        .isNotDone();

    Response answer = inFlight.get(5, TimeUnit.MINUTES);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    JsonNode output = answer.json().get("outputs").get(0);
    assertThat(output.get("shape").get(0).asInt()).isEqualTo(rows);
    assertThat(output.get("data").get(rows * WIDTH - 1).asDouble()).isEqualTo(1.0);
    closing.get(2, TimeUnit.MINUTES);
    await().atMost(Duration.ofSeconds(30)).until(() -> !host.isAlive());
  }

  @Test
  void an_upload_in_flight_when_the_api_node_stops_finishes_within_the_grace_period()
      throws Exception {
    String model = uniqueName("grace");
    ConfigurableApplicationContext node =
        startApiNode(Map.of("spring.lifecycle.timeout-per-shutdown-phase", "2m"));
    int port = port(node);
    ArtifactStore store = node.getBean(ArtifactStore.class);
    byte[] artifact = Fixtures.bytes("digits_mlp.onnx");
    CountDownLatch rest = new CountDownLatch(1);
    CompletableFuture<Response> upload = pausedUpload(new Api(port, json), model, artifact, rest);
    await().atMost(Duration.ofSeconds(30)).until(() -> store.activeUploads() == 1);

    CompletableFuture<Void> closing = CompletableFuture.runAsync(node::close);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> !accepts(port));
    rest.countDown();

    Response answer = upload.get(2, TimeUnit.MINUTES);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
    closing.get(2, TimeUnit.MINUTES);
    assertThat(versionRows(model)).isEqualTo(1);
    String digest = answer.json().get("digest").asString();
    assertThat(objectKeys("sha256/")).anyMatch(k -> k.endsWith(digest.replace("sha256:", "")));
  }

  @Test
  void an_upload_that_outlasts_the_grace_period_is_aborted_and_leaves_nothing_behind()
      throws Exception {
    String model = uniqueName("abort");
    Path spool = TestInfrastructure.newScratchDir("abort-spool");
    ConfigurableApplicationContext node =
        startApiNode(
            Map.of(
                "modelhub.storage.spool-dir",
                spool.toString(),
                "spring.lifecycle.timeout-per-shutdown-phase",
                "1s"));
    int port = port(node);
    ArtifactStore store = node.getBean(ArtifactStore.class);
    List<String> objectsBefore = objectKeys("");
    CountDownLatch rest = new CountDownLatch(1); // opened once the node has stopped
    CompletableFuture<Response> upload =
        pausedUpload(new Api(port, json), model, Fixtures.bytes("digits_mlp.onnx"), rest);
    await().atMost(Duration.ofSeconds(30)).until(() -> store.activeUploads() == 1);

    node.close();
    // The rest of the body is sent only after the node has stopped: too late to register.
    rest.countDown();

    // The client's request fails (the connection is closed under it) rather than hanging.
    Throwable failure =
        upload.handle((response, error) -> error == null ? null : error).get(1, TimeUnit.MINUTES);
    Response response = upload.isCompletedExceptionally() ? null : upload.getNow(null);
    assertThat(failure != null || response.status() >= 500)
        .as("the interrupted upload is not reported as registered: %s", response)
        .isTrue();
    assertThat(versionRows(model)).as("no version row").isZero();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(files(spool)).as("spool files left").isEmpty());
    assertThat(objectKeys(""))
        .as("no new object")
        .containsExactlyInAnyOrderElementsOf(objectsBefore);
  }

  /** An api-only node (no validation loads: these tests are about the upload itself). */
  private ConfigurableApplicationContext startApiNode(Map<String, String> overrides) {
    Map<String, String> settings = new HashMap<>(overrides);
    settings.put("modelhub.roles", "api");
    settings.put("modelhub.serving.validate-versions", "false");
    return startNode(environment, settings);
  }

  /** Sends half of {@code artifact}, then the rest once {@code rest} opens. */
  private static CompletableFuture<Response> pausedUpload(
      Api node, String model, byte[] artifact, CountDownLatch rest) {
    int half = artifact.length / 2;
    InputStream body =
        new SequenceInputStream(
            new ByteArrayInputStream(artifact, 0, half),
            new InputStream() {
              private InputStream tail;

              @Override
              public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
              }

              @Override
              public int read(byte[] b, int off, int len) throws IOException {
                if (tail == null) {
                  try {
                    rest.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                  }
                  tail =
                      new ByteArrayInputStream(Arrays.copyOfRange(artifact, half, artifact.length));
                }
                return tail.read(b, off, len);
              }
            });
    HttpRequest.Builder request =
        node.request(
                "/api/v1/models/" + model + "/versions?filename=digits_mlp.onnx",
                "Content-Type",
                "application/octet-stream")
            .POST(
                HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> body), artifact.length));
    return CompletableFuture.supplyAsync(() -> node.send(request));
  }

  private void awaitServingAfterPromote(Api node, String model, String alias, int version) {
    promote(model, alias, version);
    awaitServing(node, model, alias, version, LOAD_TIMEOUT);
  }

  private static double admitted(Api node, String model) {
    return node.get("/actuator/prometheus")
        .text()
        .lines()
        .filter(
            l -> l.startsWith("modelhub_inference_admitted{") && l.contains("\"" + model + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static List<Path> files(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
