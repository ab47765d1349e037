package dev.modelhub.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.ModelhubApplication;
import dev.modelhub.support.Api.Response;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Base of the serving tests: the application with the serving role on, engines extracted once into
 * target/engines, and helpers to register, promote and wait for a version to serve.
 */
@TestPropertySource(
    properties = {
      "modelhub.roles=api,serving,worker",
      "modelhub.serving.grpc.port=0",
      "modelhub.serving.validate-versions=true",
      "modelhub.serving.engine-cache-dir=target/engines",
      "modelhub.serving.load-retry-min=500ms",
      "modelhub.serving.load-retry-max=2s",
      "modelhub.serving.warmup-requests=1",
      "modelhub.upload.max-size=64MB"
    })
public abstract class ServingTest extends IntegrationTest {

  /** The first model load extracts engine natives; later loads take well under a second. */
  protected static final Duration LOAD_TIMEOUT = Duration.ofSeconds(90);

  protected int register(String model, byte[] artifact, String filename) {
    Response response = api.upload(model, artifact, "filename=" + filename);
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    return response.json().get("version").asInt();
  }

  protected int registerTorchScript(String model, byte[] artifact, String signatureJson) {
    Response response =
        api.uploadMultipart(model, artifact, "model.pt", "{\"signature\":" + signatureJson + "}");
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    return response.json().get("version").asInt();
  }

  protected void promote(String model, String alias, int version) {
    Response response =
        api.putJson("/api/v1/models/" + model + "/aliases/" + alias, Map.of("version", version));
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
  }

  /**
   * Promotes a version whose validation load failed: refused (409) until forced, which is what a
   * test of how serving copes with a failing version needs.
   */
  protected void forcePromote(String model, String alias, int version) {
    String path = "/api/v1/models/" + model + "/aliases/" + alias;
    Response refused = api.putJson(path, Map.of("version", version));
    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(refused.json().get("type").asString()).endsWith("/version-not-servable");
    Response forced = api.putJson(path + "?force=true", Map.of("version", version));
    assertThat(forced.status()).as(forced.toString()).isEqualTo(200);
  }

  /** Waits until this node serves {@code version} of {@code model} under {@code alias}. */
  protected void awaitServing(String model, String alias, int version) {
    awaitServing(api, model, alias, version, LOAD_TIMEOUT);
  }

  protected static void awaitServing(
      Api node, String model, String alias, int version, Duration timeout) {
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> servedVersion(node, model, alias) == version);
  }

  /** The version a node serves for a model alias, or -1. */
  protected static int servedVersion(Api node, String model, String alias) {
    return slot(node, model, alias)
        .map(s -> s.get("version").isNull() ? -1 : s.get("version").asInt())
        .orElse(-1);
  }

  /** Asks a node to classify the first reference digit; answers the response. */
  protected static Response inferDigit(Api node, String model) {
    return node.postJson(
        "/v2/models/" + model + "/infer",
        v2Body("input", "FP32", List.of(1, 64), DigitsReference.inputs()[0]));
  }

  /** A v2 inference request body of one input tensor. */
  protected static Map<String, Object> v2Body(
      String input, String datatype, List<Integer> shape, Object data) {
    return Map.of(
        "inputs",
        List.of(Map.of("name", input, "datatype", datatype, "shape", shape, "data", data)));
  }

  /** The sum of a Prometheus metric's samples whose labels contain every {@code labels} part. */
  protected double metric(String name, String... labels) {
    return api.get("/actuator/prometheus")
        .text()
        .lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .filter(l -> Arrays.stream(labels).allMatch(l::contains))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** Uploads the digits test set (450 labelled rows) as dataset {@code name} of {@code model}. */
  protected void uploadDigitsTestSet(String model, String name) {
    uploadCsv(model, name, Fixtures.data("digits-test.csv"));
  }

  protected void uploadCsv(String model, String name, byte[] csv) {
    Response response =
        api.sendRaw("POST", "/api/v1/models/" + model + "/datasets?name=" + name, "text/csv", csv);
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
  }

  /** Submits an optimization; answers the job id. */
  protected long optimize(String model, int version, String pass, Map<String, Object> params) {
    Response response =
        api.postJson(
            "/api/v1/models/" + model + "/versions/" + version + "/optimizations",
            Map.of("pass", pass, "params", params));
    assertThat(response.status()).as(response.toString()).isEqualTo(202);
    assertThat(response.header("Location")).startsWith("/api/v1/jobs/");
    return response.json().get("id").asLong();
  }

  /** Waits for a job to finish; answers it. */
  protected JsonNode awaitJob(long id) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                Set.of("SUCCEEDED", "FAILED", "CANCELLED")
                    .contains(job(id).get("status").asString()));
    return job(id);
  }

  protected JsonNode job(long id) {
    return api.get("/api/v1/jobs/" + id).json();
  }

  /**
   * Starts another application instance on its own port, sharing this one's PostgreSQL and S3, with
   * {@code overrides} on top.
   */
  protected ConfigurableApplicationContext startNode(
      Environment environment, Map<String, String> overrides) {
    Map<String, String> properties = new HashMap<>();
    properties.put("server.port", "0");
    properties.put("modelhub.serving.grpc.port", "0");
    for (String key :
        List.of(
            "spring.datasource.url",
            "spring.datasource.username",
            "spring.datasource.password",
            "modelhub.security.admin-key",
            "modelhub.security.failure-budget",
            "spring.security.oauth2.resourceserver.jwt.public-key-location",
            "spring.security.oauth2.resourceserver.jwt.audiences")) {
      properties.put(key, environment.getProperty(key));
    }
    properties.put("modelhub.storage.endpoint", objectStorage.endpoint());
    properties.put("modelhub.storage.access-key", s3Credentials.accessKey());
    properties.put("modelhub.storage.secret-key", s3Credentials.secretKey());
    properties.put("modelhub.storage.bucket", storageProperties.bucket());
    properties.put(
        "modelhub.storage.spool-dir", TestInfrastructure.newScratchDir("node-spool").toString());
    properties.put(
        "modelhub.serving.cache.dir", TestInfrastructure.newScratchDir("node-cache").toString());
    properties.put("modelhub.serving.engine-cache-dir", "target/engines");
    properties.put("modelhub.serving.warmup-requests", "1");
    properties.putAll(overrides);
    // As command-line arguments: builder "properties" are defaults that application.yml overrides.
    String[] args =
        properties.entrySet().stream()
            .map(e -> "--" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    return new SpringApplicationBuilder(ModelhubApplication.class).run(args);
  }

  protected static int port(ConfigurableApplicationContext node) {
    return Integer.parseInt(node.getEnvironment().getProperty("local.server.port"));
  }

  protected static Optional<JsonNode> slot(Api node, String model, String alias) {
    JsonNode status = node.get("/api/v1/serving").json();
    for (JsonNode slot : status.get("models")) {
      if (slot.get("model").asString().equals(model)
          && slot.get("alias").asString().equals(alias)) {
        return Optional.of(slot);
      }
    }
    return Optional.empty();
  }
}
