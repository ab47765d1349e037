package dev.modelhub.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Each pass on the digits MLP through the job system, evaluated on the digits test set: the variant
 * is registered with its lineage and report and meets the size and accuracy targets.
 */
class OptimizationIT extends ServingTest {

  private String model;

  @BeforeEach
  void digitsWithTestSet() {
    model = uniqueName("opt");
    assertThat(register(model, Fixtures.bytes("digits_mlp.onnx"), "mlp.onnx")).isEqualTo(1);
    uploadDigitsTestSet(model, "test");
  }

  @Test
  void quantize_int8_dynamic_is_under_30_percent_within_a_point_and_served() {
    JsonNode report = succeed("quantize-int8-dynamic", Map.of("dataset", "test"));
    assertThat(report.get("sizeRatio").asDouble()).isLessThanOrEqualTo(0.30);
    assertAccuracyWithin(report, 0.01);

    // The variant is a version like any other: promote it and the serving controller serves it.
    promote(model, "production", 2);
    awaitServing(model, "production", 2);
    Response answer = inferDigit(api, model);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    assertThat(answer.json().get("model_version").asString()).isEqualTo("2");
    assertThat(answer.json().get("outputs").get(0).get("shape").toString()).isEqualTo("[1,10]");
  }

  @Test
  void quantize_int8_weights_is_under_30_percent_within_a_point() {
    JsonNode report = succeed("quantize-int8-weights", Map.of("dataset", "test"));
    assertThat(report.get("sizeRatio").asDouble()).isLessThanOrEqualTo(0.30);
    assertAccuracyWithin(report, 0.01);
    assertThat(report.get("passDetails").get("perChannel").asBoolean()).isTrue();
  }

  @Test
  void convert_fp16_is_under_55_percent_within_half_a_point() {
    JsonNode report = succeed("convert-fp16", Map.of("dataset", "test"));
    assertThat(report.get("sizeRatio").asDouble()).isLessThanOrEqualTo(0.55);
    assertAccuracyWithin(report, 0.005);
  }

  @Test
  void prune_magnitude_reaches_half_sparsity_within_two_points() {
    JsonNode report = succeed("prune-magnitude", Map.of("dataset", "test", "sparsity", 0.5));
    assertThat(report.get("passDetails").get("achievedSparsity").asDouble()).isBetween(0.49, 0.51);
    assertAccuracyWithin(report, 0.02);
    JsonNode compressed = report.get("compressedSizeBytes");
    assertThat(compressed.get("variant").asLong()).isLessThan(compressed.get("parent").asLong());
  }

  @Test
  void low_rank_has_fewer_parameters_and_reports_accuracy() {
    JsonNode report = succeed("low-rank", Map.of("dataset", "test", "rankRatio", 0.25));
    assertThat(report.get("parameterRatio").asDouble()).isLessThan(1.0);
    assertThat(report.get("variant").get("parameterCount").asLong())
        .isLessThan(report.get("parent").get("parameterCount").asLong());
    assertThat(report.get("variant").get("accuracy").isNumber()).isTrue();
    assertThat(report.get("passDetails").get("factoredNodes").size()).isPositive();
  }

  @Test
  void without_a_dataset_inputs_are_generated_and_only_agreement_is_reported() {
    JsonNode report = succeed("quantize-int8-dynamic", Map.of());
    assertThat(report.get("evaluatedOn").asString()).startsWith("generated");
    assertThat(report.get("variant").get("accuracy").isNull()).isTrue();
    assertThat(report.get("agreement").get("top1Agreement").asDouble()).isGreaterThan(0.9);
    assertThat(report.get("agreement").get("maxAbsDiff").asDouble()).isPositive();
  }

  @Test
  void a_numpy_npz_dataset_feeds_a_model_with_two_inputs_of_two_types() {
    String two = uniqueName("two");
    assertThat(register(two, OnnxModels.twoInputs(7).toByteArray(), "two.onnx")).isEqualTo(1);
    Response upload =
        api.sendRaw(
            "POST",
            "/api/v1/models/" + two + "/datasets?name=np",
            "application/x-npz",
            Fixtures.data("digits-two-inputs.npz"));
    assertThat(upload.status()).as(upload.toString()).isEqualTo(201);
    assertThat(upload.json().get("format").asString()).isEqualTo("npz");
    assertThat(upload.json().get("rows").asInt()).isEqualTo(450);
    assertThat(upload.json().get("inputs").findValuesAsString("name"))
        .containsExactlyInAnyOrder("pixels", "offset");

    JsonNode job = awaitJob(optimize(two, 1, "quantize-int8-dynamic", Map.of("dataset", "np")));
    assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
    JsonNode report = job.get("report");
    assertThat(report.get("evaluatedOn").asString()).isEqualTo("dataset:np (450 samples)");
    assertThat(report.get("parent").get("accuracy").isNumber()).isTrue();
    assertThat(report.get("agreement").get("top1Agreement").asDouble()).isGreaterThan(0.9);
  }

  @Test
  void a_job_that_cannot_fit_on_disk_fails_before_downloading_with_the_numbers() {
    String huge = uniqueName("disk");
    register(huge, Fixtures.bytes("digits_mlp.onnx"), "m.onnx");
    // As if the artifact were a petabyte: its room is checked before a byte is downloaded.
    jdbc.sql(
            "update model_version set size_bytes = 1000000000000000"
                + " where model_id = (select id from model where name = ?)")
        .param(huge)
        .update();
    long id = optimize(huge, 1, "convert-fp16", Map.of());
    await().atMost(Duration.ofSeconds(30)).until(() -> !job(id).get("error").isNull());
    assertThat(job(id).get("error").asString())
        .contains("Not enough free disk to download and unpack v1 of " + huge)
        .containsPattern("it needs about 1907348633 MB and [0-9]+ MB are free");
    assertThat(job(id).get("resultVersion").isNull()).isTrue();
  }

  @Test
  void jobs_are_listed_by_model_and_status() {
    long id = optimize(model, 1, "convert-fp16", Map.of());
    awaitJob(id);
    JsonNode page = api.get("/api/v1/jobs?model=" + model + "&status=SUCCEEDED").json();
    assertThat(page.get("items").findValuesAsString("id")).contains(Long.toString(id));
    assertThat(
            api.get("/api/v1/jobs?model=" + model + "&status=QUEUED")
                .json()
                .get("totalItems")
                .asLong())
        .isZero();
    JsonNode job = job(id);
    assertThat(job.get("kind").asString()).isEqualTo("optimize");
    assertThat(job.get("progress").asInt()).isEqualTo(100);
    assertThat(job.get("attempts").asInt()).isEqualTo(1);
    assertThat(job.get("startedAt").asString()).isNotBlank();
    assertThat(job.get("finishedAt").asString()).isNotBlank();
    assertThat(job.get("log").size()).isPositive();
  }

  /** Runs a pass to success; checks the variant's lineage; answers its report. */
  private JsonNode succeed(String pass, Map<String, Object> params) {
    long id = optimize(model, 1, pass, params);
    JsonNode job = awaitJob(id);
    assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
    int variant = job.get("resultVersion").asInt();
    JsonNode version = api.get("/api/v1/models/" + model + "/versions/" + variant).json();
    assertThat(version.get("parentVersion").asInt()).isEqualTo(1);
    assertThat(version.get("producedByJob").asLong()).isEqualTo(id);
    assertThat(version.get("lineage").get("pass").asString()).isEqualTo(pass);
    assertThat(version.get("format").asString()).isEqualTo("onnx");
    JsonNode report =
        api.get("/api/v1/models/" + model + "/versions/" + variant + "/report").json();
    assertThat(report).isEqualTo(version.get("report"));
    assertThat(report.get("parent").get("latencyMs").get("p50").asDouble()).isPositive();
    assertThat(report.get("variant").get("latencyMs").get("p95").asDouble()).isPositive();
    System.out.printf(
        "OptimizationIT %s: size ratio %s, accuracy %s -> %s, latency ratio %s%n",
        pass,
        report.get("sizeRatio"),
        report.get("parent").get("accuracy"),
        report.get("variant").get("accuracy"),
        report.get("latencyRatio"));
    return report;
  }

  private static void assertAccuracyWithin(JsonNode report, double points) {
    double parent = report.get("parent").get("accuracy").asDouble();
    double variant = report.get("variant").get("accuracy").asDouble();
    assertThat(parent).isGreaterThan(0.9);
    assertThat(variant).isGreaterThanOrEqualTo(parent - points);
  }
}
