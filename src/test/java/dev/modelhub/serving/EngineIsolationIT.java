package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.EngineHosts;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestSecrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;

/**
 * Engines run in host processes of their own ({@code modelhub.serving.isolation=model}, the
 * default): what a model does to its engine — a SIGFPE from an integer division by zero, a SIGKILL
 * — ends its host, not the node, and every other model keeps answering.
 */
class EngineIsolationIT extends ServingTest {

  private static final String ALIAS = "production";

  @Autowired Environment environment;

  @Test
  void a_division_by_zero_crashes_only_its_own_host() throws Exception {
    String divide = uniqueName("divide");
    promote(divide, ALIAS, register(divide, OnnxModels.integerDivide().toByteArray(), "d.onnx"));
    List<String> others = List.of(uniqueName("bystander"), uniqueName("bystander"));
    for (String other : others) {
      promote(other, ALIAS, register(other, Fixtures.bytes("digits_mlp.onnx"), "m.onnx"));
    }
    awaitServing(divide, ALIAS, 1);
    others.forEach(other -> awaitServing(other, ALIAS, 1));
    // Zeros are no valid divisor: the warm-up is refused, counted, and the version serves anyway.
    assertThat(
            metric(
                "modelhub_model_warmups_total", "model=\"" + divide + "\"", "outcome=\"refused\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            metric(
                "modelhub_model_warmups_total",
                "model=\"" + others.get(0) + "\"",
                "outcome=\"warmed\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(divideBy(divide, 2).json().get("outputs").get(0).get("data").get(0).asInt())
        .isEqualTo(3);
    Set<Long> hostsBefore = pids(EngineHosts.all(divide, 1));
    double crashesBefore = metric("modelhub_engine_crashes_total", "model=\"" + divide + "\"");

    // Eight clients on the two other models, without pause, while the division crashes its host.
    AtomicBoolean running = new AtomicBoolean(true);
    List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
    ExecutorService clients = Executors.newFixedThreadPool(8);
    List<Future<?>> loops = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      String model = others.get(c % 2);
      Api client = new Api(port, json);
      loops.add(
          clients.submit(
              () -> {
                while (running.get()) {
                  statuses.add(inferDigit(client, model).status());
                }
              }));
    }
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> statuses.size() >= 50);
      Response crash = divideBy(divide, -1);
      assertThat(crash.status()).as(crash.toString()).isEqualTo(503);
      assertThat(crash.json().get("type").asString()).endsWith("/engine-stopped");
      assertThat(crash.header("Retry-After")).isEqualTo("1");
      assertThat(api.get("/v2/health/ready").status()).isEqualTo(200);

      // The host is restarted and the model answers the next valid request.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> divideBy(divide, 2).status() == 200);
      int seen = statuses.size();
      await().atMost(Duration.ofSeconds(10)).until(() -> statuses.size() >= seen + 50);
    } finally {
      running.set(false);
      for (Future<?> loop : loops) {
        loop.get();
      }
      clients.shutdown();
    }

    assertThat(statuses).as("requests to the other models").allMatch(s -> s == 200);
    // this node's host was replaced (other test contexts' hosts of the model were not touched)
    assertThat(pids(EngineHosts.all(divide, 1))).isNotEqualTo(hostsBefore);
    assertThat(metric("modelhub_engine_crashes_total", "model=\"" + divide + "\""))
        .isEqualTo(crashesBefore + 1);
    JsonNode slot = slotOf(divide);
    assertThat(slot.get("engineCrashes").asInt()).isEqualTo(1);
    assertThat(slot.get("lastError").asString()).contains("SIGFPE");
    System.out.printf(
        "EngineIsolationIT: %d requests to two other models during the crash, 0 failed%n",
        statuses.size());
    others.forEach(other -> api.delete("/api/v1/models/" + other + "/aliases/" + ALIAS));
    api.delete("/api/v1/models/" + divide + "/aliases/" + ALIAS);
  }

  @Test
  void a_host_killed_mid_request_answers_503_at_once_and_is_restarted() throws Exception {
    String looping = uniqueName("looping");
    promote(looping, ALIAS, register(looping, OnnxModels.loop(-1).toByteArray(), "l.onnx"));
    awaitServing(looping, ALIAS, 1);
    // Every test context serving the model runs a host of it: all are killed, this node's among
    // them.
    List<ProcessHandle> hosts = EngineHosts.all(looping, 1);
    Set<Long> killed = pids(hosts);

    // Thirty million turns: about fifteen seconds of work, well inside the 60 s deadline.
    CompletableFuture<Response> slow =
        CompletableFuture.supplyAsync(
            () -> api.postJson("/v2/models/" + looping + "/infer", loopBody(30_000_000)));
    // Killed while the request is admitted and its call is on the socket.
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> metric("modelhub_inference_admitted", "model=\"" + looping + "\"") >= 1);
    long killedAt = System.nanoTime();
    hosts.forEach(host -> assertThat(EngineHosts.launched(host).destroyForcibly()).isTrue());
    Response answer = slow.get();
    long waitedMs = (System.nanoTime() - killedAt) / 1_000_000;

    assertThat(answer.status()).as(answer.toString()).isEqualTo(503);
    assertThat(answer.json().get("detail").asString()).contains("SIGKILL");
    assertThat(waitedMs).as("ms from the kill to the answer").isLessThan(5_000);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> api.postJson("/v2/models/" + looping + "/infer", loopBody(1)).status() == 200);
    assertThat(pids(EngineHosts.all(looping, 1))).doesNotContainAnyElementsOf(killed);
    api.delete("/api/v1/models/" + looping + "/aliases/" + ALIAS);
  }

  @Test
  void a_version_that_keeps_crashing_is_rolled_back_with_an_audit_event() {
    String model = uniqueName("rollback");
    int good = register(model, OnnxModels.integerDivide().toByteArray(), "v1.onnx");
    int crashing = register(model, OnnxModels.integerDivide().toByteArray(), "v2.onnx");
    promote(model, ALIAS, good);
    awaitServing(model, ALIAS, good);
    promote(model, ALIAS, crashing);
    awaitServing(model, ALIAS, crashing);

    // crash-limit (3) crashes within the window: each after the host came back.
    for (int crash = 1; crash <= 3; crash++) {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> divideBy(model, 2).status() == 200);
      assertThat(divideBy(model, -1).status()).isEqualTo(503);
    }

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                api.get("/api/v1/models/" + model + "/aliases/" + ALIAS)
                        .json()
                        .get("version")
                        .asInt()
                    == good);
    awaitServing(model, ALIAS, good);
    Response answer = divideBy(model, 2);
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.json().get("model_version").asString()).isEqualTo(Integer.toString(good));
    assertThat(slotOf(model).get("crashingVersion").asInt()).isEqualTo(crashing);

    JsonNode audit =
        api.get("/api/v1/audit?model=" + model + "&action=alias.rollback").json().get("items");
    assertThat(audit).hasSize(1);
    assertThat(audit.get(0).get("actor").asString()).isEqualTo("modelhub-serving");
    assertThat(audit.get(0).get("detail").asString())
        .startsWith("v" + crashing + " → v" + good)
        .contains("SIGFPE");
    JsonNode history =
        api.get("/api/v1/models/" + model + "/aliases/" + ALIAS + "/history").json().get("items");
    assertThat(history.get(0).get("to").asInt()).isEqualTo(good);
    api.delete("/api/v1/models/" + model + "/aliases/" + ALIAS);
  }

  /**
   * {@code isolation: engine}: one host per engine, shared by its models. A crash stops that
   * engine's other models until the host is back (they are loaded again), never another engine's;
   * and it counts only against the model whose call faulted.
   */
  @Test
  void one_host_per_engine_shares_a_crash_only_within_the_engine_and_blames_its_cause()
      throws Exception {
    String divide = uniqueName("shared-divide");
    String onnx = uniqueName("shared-onnx");
    String torch = uniqueName("shared-torch");
    promote(divide, ALIAS, register(divide, OnnxModels.integerDivide().toByteArray(), "d.onnx"));
    promote(onnx, ALIAS, register(onnx, Fixtures.bytes("digits_mlp.onnx"), "m.onnx"));
    promote(
        torch,
        ALIAS,
        registerTorchScript(torch, Fixtures.bytes("digits_mlp.pt"), Fixtures.DIGITS_SIGNATURE));
    try (ConfigurableApplicationContext node =
        startNode(environment, Map.of("modelhub.serving.isolation", "engine"))) {
      Api shared = new Api(port(node), json);
      for (String model : List.of(divide, onnx, torch)) {
        awaitServing(shared, model, ALIAS, 1, LOAD_TIMEOUT);
      }
      // Ready first (its start-up loads counted as ended), so that what follows shows a crash
      // does not take it out, not that it had not yet come in.
      await().atMost(LOAD_TIMEOUT).until(() -> shared.get("/v2/health/ready").status() == 200);
      assertThat(EngineHosts.named("OnnxRuntime engine")).hasSize(1);
      assertThat(EngineHosts.named("PyTorch engine")).hasSize(1);
      long onnxHost = EngineHosts.named("OnnxRuntime engine").get(0).pid();
      long torchHost = EngineHosts.named("PyTorch engine").get(0).pid();

      // Clients of the PyTorch model, without pause, while the division crashes ONNX Runtime.
      AtomicBoolean running = new AtomicBoolean(true);
      List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
      ExecutorService clients = Executors.newFixedThreadPool(4);
      List<Future<?>> loops = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        Api client = new Api(port(node), json);
        loops.add(
            clients.submit(
                () -> {
                  while (running.get()) {
                    statuses.add(inferDigit(client, torch).status());
                  }
                }));
      }
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> statuses.size() >= 50);
        // crash-limit (3) crashes, each after the host came back with both ONNX models.
        for (int crash = 1; crash <= 3; crash++) {
          await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(100))
              .until(
                  () ->
                      divideBy(shared, divide, 2).status() == 200
                          && inferDigit(shared, onnx).status() == 200);
          Response answer = divideBy(shared, divide, -1);
          assertThat(answer.status()).as(answer.toString()).isEqualTo(503);
          assertThat(answer.json().get("type").asString()).endsWith("/engine-stopped");
          assertThat(shared.get("/v2/health/ready").status()).isEqualTo(200);
        }
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> inferDigit(shared, onnx).status() == 200);
      } finally {
        running.set(false);
        for (Future<?> loop : loops) {
          loop.get();
        }
        clients.shutdown();
      }

      assertThat(statuses).as("requests to the PyTorch model").allMatch(s -> s == 200);
      assertThat(EngineHosts.named("PyTorch engine").get(0).pid()).isEqualTo(torchHost);
      assertThat(EngineHosts.named("OnnxRuntime engine").get(0).pid()).isNotEqualTo(onnxHost);
      JsonNode culprit = slotOf(shared, divide);
      assertThat(culprit.get("engineCrashes").asInt()).isEqualTo(3);
      assertThat(culprit.get("crashingVersion").asInt()).isEqualTo(1);
      assertThat(culprit.get("lastError").asString()).contains("SIGFPE").doesNotContain("another");
      JsonNode bystander = slotOf(shared, onnx);
      assertThat(bystander.get("engineCrashes").asInt()).isEqualTo(3);
      assertThat(bystander.get("crashingVersion").isNull()).isTrue();
      assertThat(bystander.get("state").asString()).isEqualTo("READY");
      assertThat(bystander.get("lastError").asString()).contains("in another model's call");
      assertThat(slotOf(shared, torch).get("engineCrashes").asInt()).isZero();
    }
    // The node's shared hosts end with it.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> EngineHosts.named("OnnxRuntime engine").isEmpty());
    for (String model : List.of(divide, onnx, torch)) {
      api.delete("/api/v1/models/" + model + "/aliases/" + ALIAS);
    }
  }

  @Test
  void a_host_sees_none_of_the_nodes_environment_or_secrets() throws IOException {
    String model = uniqueName("environment");
    promote(model, ALIAS, register(model, OnnxModels.integerDivide().toByteArray(), "e.onnx"));
    awaitServing(model, ALIAS, 1);
    ProcessHandle host = EngineHosts.of(model, 1);

    // What the kernel holds for the host, not what the launcher meant to pass.
    Map<String, String> environment = environmentOf(host.pid());
    assertThat(environment.keySet())
        .isSubsetOf(
            Set.of(
                "PATH",
                "HOME",
                "TMPDIR",
                "LANG",
                "ORT_DISABLE_TELEMETRY",
                "TF_CPP_MIN_LOG_LEVEL",
                "OMP_NUM_THREADS",
                "MALLOC_ARENA_MAX",
                "PWD")); // bubblewrap sets it: the host's own folder
    assertThat(System.getenv().keySet()).as("the node's own environment").hasSizeGreaterThan(8);
    String everything =
        String.join("\n", environment.values())
            + "\n"
            + Files.readString(Path.of("/proc", Long.toString(host.pid()), "cmdline"))
            + "\n"
            + EngineHosts.spec(host);
    for (String secret :
        List.of(
            TestSecrets.adminKey(),
            TestSecrets.dbPassword(),
            TestSecrets.s3AccessKey(),
            TestSecrets.s3SecretKey())) {
      assertThat(everything).doesNotContain(secret);
    }
    String limits = Files.readString(Path.of("/proc", Long.toString(host.pid()), "limits"));
    assertThat(limits).containsPattern("Max open files\\s+1024\\s+1024");
    assertThat(limits).containsPattern("Max core file size\\s+0\\s+0");
    api.delete("/api/v1/models/" + model + "/aliases/" + ALIAS);
  }

  /**
   * 6 / divisor and 7 / 2 — or, for divisor -1, INT32_MIN / -1: the one integer division whose
   * quotient does not fit, which the CPU answers with SIGFPE. (ONNX Runtime 1.29 checks for a zero
   * divisor and refuses it, but not for this.)
   */
  private Response divideBy(String model, int divisor) {
    return divideBy(api, model, divisor);
  }

  private static Response divideBy(Api node, String model, int divisor) {
    int numerator = divisor == -1 ? Integer.MIN_VALUE : 6;
    return node.postJson(
        "/v2/models/" + model + "/infer",
        Map.of(
            "inputs",
            List.of(
                Map.of(
                    "name",
                    "numerator",
                    "shape",
                    List.of(1, 2),
                    "datatype",
                    "INT32",
                    "data",
                    List.of(numerator, 7)),
                Map.of(
                    "name",
                    "divisor",
                    "shape",
                    List.of(1, 2),
                    "datatype",
                    "INT32",
                    "data",
                    List.of(divisor, 2)))));
  }

  private static Set<Long> pids(List<ProcessHandle> processes) {
    return processes.stream().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  private static Map<String, Object> loopBody(long turns) {
    return Map.of(
        "inputs",
        List.of(
            Map.of("name", "x", "datatype", "FP32", "shape", List.of(1), "data", List.of(1.0)),
            Map.of("name", "n", "datatype", "INT64", "shape", List.of(), "data", List.of(turns))));
  }

  private JsonNode slotOf(String model) {
    return slotOf(api, model);
  }

  private static JsonNode slotOf(Api node, String model) {
    for (JsonNode slot : node.get("/api/v1/serving").json().get("models")) {
      if (slot.get("model").asString().equals(model)) {
        return slot;
      }
    }
    throw new AssertionError(model + " is not in the serving status");
  }

  private static Map<String, String> environmentOf(long pid) throws IOException {
    String raw = Files.readString(Path.of("/proc", Long.toString(pid), "environ"));
    return Stream.of(raw.split("\0"))
        .filter(e -> e.contains("="))
        .collect(
            Collectors.toMap(
                e -> e.substring(0, e.indexOf('=')), e -> e.substring(e.indexOf('=') + 1)));
  }
}
