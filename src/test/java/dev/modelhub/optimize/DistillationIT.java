package dev.modelhub.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.onnx.ModelProto;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Archives;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.SavedModels;
import dev.modelhub.support.ServingTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The distill pass through the job system: students trained from the digits teachers in each format
 * the engines run, evaluated on the held-back digits test set, registered as ONNX variants with
 * their lineage, served, and quantized further.
 */
class DistillationIT extends ServingTest {

  private static final Map<String, Object> MLP_64 = Map.of("type", "mlp", "hidden", List.of(64));

  /** A model with the digits transfer set ("train") and test set ("test"). */
  private String digits(byte[] teacher, String filename) {
    String model = uniqueName("distill");
    assertThat(register(model, teacher, filename)).isEqualTo(1);
    uploadCsv(model, "train", Fixtures.data("digits-train.csv"));
    uploadDigitsTestSet(model, "test");
    return model;
  }

  private JsonNode distill(String model, int version, Map<String, Object> params) {
    JsonNode job = awaitJob(optimize(model, version, "distill", params));
    assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
    return job;
  }

  @Test
  void an_mlp_student_a_tenth_the_size_matches_the_teacher_is_served_and_quantizes_further() {
    String model = digits(Fixtures.bytes("digits_mlp.onnx"), "mlp.onnx");
    long id =
        optimize(
            model,
            1,
            "distill",
            Map.of(
                "student", MLP_64, "dataset", "train", "evaluationDataset", "test", "epochs", 30));
    // The student's size is known, and shown, before the job runs.
    JsonNode submitted = job(id);
    assertThat(submitted.get("params").get("studentParameters").asLong())
        .isEqualTo(64 * 64 + 64 + 64 * 10 + 10);
    assertThat(submitted.get("params").get("temperature").asDouble()).isEqualTo(4.0);
    assertThat(submitted.get("params").get("alpha").asDouble()).isEqualTo(0.7);

    JsonNode job = awaitJob(id);
    assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
    JsonNode report = job.get("report");
    assertThat(report.get("parameterRatio").asDouble()).isLessThanOrEqualTo(0.25);
    assertThat(report.get("variant").get("accuracy").asDouble()).isGreaterThanOrEqualTo(0.95);
    assertThat(report.get("agreement").get("top1Agreement").asDouble())
        .isGreaterThanOrEqualTo(0.96);
    assertThat(report.get("evaluatedOn").asString()).isEqualTo("dataset:test (450 samples)");
    JsonNode details = report.get("passDetails");
    assertThat(details.get("exportMaxAbsDiff").asDouble()).isLessThanOrEqualTo(1e-4);
    assertThat(details.get("labelsUsed").asBoolean()).isTrue();
    assertThat(details.get("epochs").size()).isEqualTo(details.get("epochsRun").asInt());
    assertThat(details.get("teacherFormat").asString()).isEqualTo("onnx");
    // Progress per epoch is on the job.
    assertThat(job.get("log").findValuesAsString("line"))
        .anyMatch(line -> line.matches("epoch 1/30: loss [0-9.E-]+, held-out agreement .*"))
        .anyMatch(line -> line.startsWith("teacher scored 1347 samples"));

    // A variant like any other: ONNX, with its lineage, and served once promoted.
    int student = job.get("resultVersion").asInt();
    JsonNode version = api.get("/api/v1/models/" + model + "/versions/" + student).json();
    assertThat(version.get("format").asString()).isEqualTo("onnx");
    assertThat(version.get("signature").toString())
        .isEqualTo(
            api.get("/api/v1/models/" + model + "/versions/1").json().get("signature").toString());
    assertThat(version.get("parentVersion").asInt()).isEqualTo(1);
    JsonNode lineage = version.get("lineage");
    assertThat(lineage.get("pass").asString()).isEqualTo("distill");
    assertThat(lineage.get("teacher").get("format").asString()).isEqualTo("onnx");
    assertThat(lineage.get("params").get("student").get("hidden").toString()).isEqualTo("[64]");
    assertThat(lineage.get("params").get("temperature").asDouble()).isEqualTo(4.0);
    assertThat(lineage.get("params").get("seed").asLong()).isEqualTo(42);
    assertThat(lineage.get("epochsRun").asInt()).isPositive();

    // Distilled, then quantized: the smallest model the platform makes.
    JsonNode int8 =
        awaitJob(optimize(model, student, "quantize-int8-dynamic", Map.of("dataset", "test")));
    assertThat(int8.get("status").asString()).as(int8.toString()).isEqualTo("SUCCEEDED");
    long teacherSize = report.get("parent").get("sizeBytes").asLong();
    long studentSize = report.get("variant").get("sizeBytes").asLong();
    long smallest = int8.get("report").get("variant").get("sizeBytes").asLong();
    assertThat(studentSize).isLessThan(teacherSize / 5);
    assertThat(smallest).isLessThan(studentSize / 2);
    assertThat(int8.get("report").get("variant").get("accuracy").asDouble())
        .isGreaterThanOrEqualTo(0.94);
    int chain = int8.get("resultVersion").asInt();
    promote(model, "production", chain);
    awaitServing(model, "production", chain);
    Response answer = inferDigit(api, model);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    assertThat(answer.json().get("outputs").get(0).get("name").asString()).isEqualTo("logits");
  }

  @Test
  void a_savedmodel_teacher_is_distilled_through_tensorflow() throws Exception {
    byte[] archive =
        Archives.tarGz(
            SavedModels.entries(
                "digits",
                SavedModels.fromOnnxMlp(ModelProto.parseFrom(Fixtures.bytes("digits_mlp.onnx")))));
    assertStudentMatchesItsTeacher(digits(archive, "digits.tar.gz"), "saved_model");
  }

  @Test
  void a_torchscript_teacher_is_distilled_through_pytorch() {
    String model = uniqueName("distill-pt");
    assertThat(
            registerTorchScript(model, Fixtures.bytes("digits_mlp.pt"), Fixtures.DIGITS_SIGNATURE))
        .isEqualTo(1);
    uploadCsv(model, "train", Fixtures.data("digits-train.csv"));
    uploadDigitsTestSet(model, "test");
    assertStudentMatchesItsTeacher(model, "torchscript");
  }

  /** A 64-unit student of the digits MLP in {@code format}: ≥ 95 % accuracy, ≥ 96 % agreement. */
  private void assertStudentMatchesItsTeacher(String model, String format) {
    JsonNode report =
        distill(
                model,
                1,
                Map.of(
                    "student",
                    MLP_64,
                    "dataset",
                    "train",
                    "evaluationDataset",
                    "test",
                    "epochs",
                    20))
            .get("report");
    assertThat(report.get("passDetails").get("teacherFormat").asString()).isEqualTo(format);
    assertThat(report.get("variant").get("accuracy").asDouble()).isGreaterThanOrEqualTo(0.95);
    assertThat(report.get("agreement").get("top1Agreement").asDouble())
        .isGreaterThanOrEqualTo(0.96);
  }

  @Test
  void a_cnn_student_learns_from_the_digits_cnn_on_its_image_shaped_input() {
    String model = digits(Fixtures.bytes("digits_cnn.onnx"), "cnn.onnx");
    JsonNode job =
        distill(
            model,
            1,
            Map.of(
                "student",
                Map.of("type", "cnn", "channels", List.of(8, 16)),
                "dataset",
                "train",
                "evaluationDataset",
                "test",
                "augment",
                Map.of("copies", 1),
                "epochs",
                20));
    JsonNode report = job.get("report");
    assertThat(report.get("parameterRatio").asDouble()).isLessThan(1.0);
    assertThat(report.get("variant").get("accuracy").asDouble()).isGreaterThanOrEqualTo(0.93);
    assertThat(report.get("passDetails").get("augmentedSamples").asInt()).isPositive();
    assertThat(report.get("passDetails").get("exportMaxAbsDiff").asDouble())
        .isLessThanOrEqualTo(1e-4);
    int student = job.get("resultVersion").asInt();
    JsonNode signature =
        api.get("/api/v1/models/" + model + "/versions/" + student).json().get("signature");
    assertThat(signature.get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,1,8,8]");
  }

  @Test
  void without_labels_an_auto_student_learns_from_soft_targets_alone_and_no_accuracy_is_reported() {
    String model = uniqueName("distill-soft");
    register(model, Fixtures.bytes("digits_mlp.onnx"), "mlp.onnx");
    uploadCsv(model, "unlabelled", withoutLabels(Fixtures.data("digits-train.csv")));
    JsonNode job =
        distill(
            model,
            1,
            Map.of(
                "student",
                Map.of("type", "auto", "parameterRatio", 0.1),
                "dataset",
                "unlabelled",
                "epochs",
                20));
    JsonNode params = job.get("params");
    // auto: one hidden layer as wide as a tenth of the teacher's parameters allows
    assertThat(params.get("student").get("hidden").size()).isEqualTo(1);
    assertThat(params.get("studentParameters").asLong())
        .isLessThanOrEqualTo(params.get("teacherParameters").asLong() / 10);
    JsonNode report = job.get("report");
    assertThat(report.get("passDetails").get("labelsUsed").asBoolean()).isFalse();
    assertThat(report.get("variant").get("accuracy").isNull()).isTrue();
    assertThat(report.get("parent").get("accuracy").isNull()).isTrue();
    assertThat(report.get("evaluatedOn").asString()).contains("held-out slice");
    assertThat(report.get("agreement").get("top1Agreement").asDouble()).isGreaterThanOrEqualTo(0.9);
  }

  @Test
  void params_that_cannot_work_are_refused_at_submit_saying_what_to_change() {
    String model = digits(Fixtures.bytes("digits_mlp.onnx"), "mlp.onnx");
    // v2 takes 32 values: the 64-column transfer set does not fit it.
    register(model, OnnxModels.mlp(3, 32, 16, 10).toByteArray(), "small.onnx");
    Map<String, Map<String, Object>> cases =
        Map.of(
            "not fewer than the teacher's",
            Map.of("student", Map.of("type", "mlp", "hidden", List.of(1024)), "dataset", "train"),
            "mlp, cnn or auto",
            Map.of("student", Map.of("type", "rnn"), "dataset", "train"),
            "image-shaped input",
            Map.of("student", Map.of("type", "cnn"), "dataset", "train"),
            "'temperature' must be greater than 0",
            Map.of("student", MLP_64, "dataset", "train", "temperature", 0),
            "'alpha' must be less than or equal to 1",
            Map.of("student", MLP_64, "dataset", "train", "alpha", 1.5),
            "'dataset' is required",
            Map.of("student", MLP_64),
            "'student' is required",
            Map.of("dataset", "train"));
    for (var entry : cases.entrySet()) {
      Response refused = submit(model, 1, entry.getValue());
      assertThat(refused.status()).as(entry.getKey() + ": " + refused).isEqualTo(400);
      assertThat(refused.json().get("detail").asString())
          .as(entry.getKey())
          .contains(entry.getKey());
    }
    Response mismatch =
        submit(
            model,
            2,
            Map.of("student", Map.of("type", "mlp", "hidden", List.of(4)), "dataset", "train"));
    assertThat(mismatch.status()).as(mismatch.toString()).isEqualTo(400);
    assertThat(mismatch.json().get("detail").asString())
        .contains("'dataset' does not fit the teacher")
        .contains("64");
    assertThat(api.get("/api/v1/jobs?model=" + model).json().get("totalItems").asInt()).isZero();

    // A declared signature far beyond what a student could take is a 400 too, not an overflow.
    String huge = uniqueName("distill-huge");
    registerTorchScript(
        huge,
        Fixtures.bytes("digits_mlp.pt"),
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,50000,50000]}],"
            + "\"outputs\":[{\"name\":\"logits\",\"datatype\":\"FP32\",\"shape\":[-1,10]}]}");
    Response tooLarge = submit(huge, 1, Map.of("student", MLP_64, "dataset", "train"));
    assertThat(tooLarge.status()).as(tooLarge.toString()).isEqualTo(400);
    assertThat(tooLarge.json().get("detail").asString())
        .contains("2500000000 values per sample; a student takes at most 16777216");
  }

  private Response submit(String model, int version, Map<String, Object> params) {
    return api.postJson(
        "/api/v1/models/" + model + "/versions/" + version + "/optimizations",
        Map.of("pass", "distill", "params", params));
  }

  /** The CSV without its label column. */
  static byte[] withoutLabels(byte[] csv) {
    return new String(csv, StandardCharsets.UTF_8)
        .lines()
        .map(line -> line.substring(0, line.lastIndexOf(',')))
        .collect(Collectors.joining("\n", "", "\n"))
        .getBytes(StandardCharsets.UTF_8);
  }
}
