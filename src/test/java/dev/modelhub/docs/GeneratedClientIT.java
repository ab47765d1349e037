package dev.modelhub.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.modelhub.client.ApiClient;
import dev.modelhub.client.ApiException;
import dev.modelhub.client.api.AliasesApi;
import dev.modelhub.client.api.InferenceOpenInferenceProtocolApi;
import dev.modelhub.client.api.KeysApi;
import dev.modelhub.client.api.ModelsApi;
import dev.modelhub.client.api.OptimizationJobsApi;
import dev.modelhub.client.api.ServingStatusApi;
import dev.modelhub.client.api.VersionsApi;
import dev.modelhub.client.model.AliasMove;
import dev.modelhub.client.model.CreateModel;
import dev.modelhub.client.model.CreatedKey;
import dev.modelhub.client.model.InferInputTensor;
import dev.modelhub.client.model.InferOutputTensor;
import dev.modelhub.client.model.InferRequest;
import dev.modelhub.client.model.InferResponse;
import dev.modelhub.client.model.JobView;
import dev.modelhub.client.model.MoveAlias;
import dev.modelhub.client.model.NewKey;
import dev.modelhub.client.model.OptimizationRequest;
import dev.modelhub.client.model.PageViewAliasMove;
import dev.modelhub.client.model.Pipeline;
import dev.modelhub.client.model.SlotStatus;
import dev.modelhub.client.model.Softmax;
import dev.modelhub.client.model.TopK;
import dev.modelhub.client.model.VersionView;
import dev.modelhub.support.DigitsReference;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestSecrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pipeline's main loop with nothing but the client the build generates from docs/openapi.json:
 * create a model, upload a version, start a job, wait for it, promote the variant, read the alias's
 * history, run inference. If the document lies about a path, a parameter, a body or an answer, this
 * fails (or the build does, generating or compiling the client).
 */
class GeneratedClientIT extends ServingTest {

  private ApiClient client(String key) {
    ApiClient client = new ApiClient();
    client.setBasePath("http://localhost:" + port);
    client.setBearerToken(key);
    return client;
  }

  @Test
  void the_main_loop_with_only_the_generated_client(@TempDir Path dir)
      throws ApiException, IOException {
    ApiClient admin = client(TestSecrets.adminKey());
    CreatedKey key =
        new KeysApi(admin)
            .createKey(
                new NewKey().name(uniqueName("pipeline-bot")).role(NewKey.RoleEnum.DEPLOYER));
    assertThat(key.getKey()).isNotBlank();
    ApiClient deployer = client(key.getKey());

    String model = uniqueName("contract");
    new ModelsApi(deployer).createModel(new CreateModel().name(model).description("from a client"));

    Path artifact = dir.resolve("mlp.onnx");
    Files.write(artifact, Fixtures.bytes("digits_mlp.onnx"));
    VersionsApi versions = new VersionsApi(deployer);
    VersionView uploaded = versions.registerVersion(model, artifact.toFile(), "mlp.onnx", null);
    assertThat(uploaded.getVersion()).isEqualTo(1);
    assertThat(uploaded.getSignature().getInputs().get(0).getName()).isEqualTo("input");

    // A pipeline, its steps polymorphic by "type", goes through the generated classes and back.
    List<String> digits = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    VersionView piped =
        versions.setPipeline(
            model,
            1,
            new Pipeline()
                .postprocess(List.of(new Softmax().type("softmax"), new TopK().type("topK").k(3)))
                .labels(digits));
    assertThat(piped.getPipeline().getPostprocess())
        .extracting(s -> s.getClass().getSimpleName())
        .containsExactly("Softmax", "TopK");
    assertThat(piped.getPipeline().getLabels()).isEqualTo(digits);

    OptimizationJobsApi jobs = new OptimizationJobsApi(deployer);
    JobView submitted =
        jobs.optimize(
            model,
            1,
            new OptimizationRequest()
                .pass(OptimizationRequest.PassEnum.QUANTIZE_INT8_DYNAMIC)
                .params(Map.of()));
    JobView done =
        await()
            .atMost(Duration.ofMinutes(3))
            .until(
                () -> jobs.getJob(submitted.getId()),
                j ->
                    j.getStatus() != JobView.StatusEnum.QUEUED
                        && j.getStatus() != JobView.StatusEnum.RUNNING);
    assertThat(done.getStatus()).as(done.getError()).isEqualTo(JobView.StatusEnum.SUCCEEDED);
    int variant = done.getResultVersion();
    assertThat(versions.getVersion(model, variant).getParentVersion()).isEqualTo(1);

    AliasesApi aliases = new AliasesApi(deployer);
    aliases.moveAlias(model, "production", new MoveAlias().version(variant), null);
    PageViewAliasMove history = aliases.aliasHistory(model, "production", 0, 50);
    AliasMove move = history.getItems().get(0);
    assertThat(move.getTo()).isEqualTo(variant);
    assertThat(move.getBy()).contains(key.getDetails().getName());

    ServingStatusApi serving = new ServingStatusApi(deployer);
    await()
        .atMost(LOAD_TIMEOUT)
        .until(
            () ->
                serving.servingStatus().getModels().stream()
                    .filter(s -> s.getModel().equals(model))
                    .map(SlotStatus::getVersion)
                    .anyMatch(v -> v != null && v == variant));

    float[] digit = DigitsReference.inputs()[0];
    List<Object> pixels = new ArrayList<>();
    for (float v : digit) {
      pixels.add(v);
    }
    InferResponse answer =
        new InferenceOpenInferenceProtocolApi(deployer)
            .modelInfer(
                model,
                new InferRequest()
                    .id("contract-1")
                    .addInputsItem(
                        new InferInputTensor()
                            .name("input")
                            .datatype("FP32")
                            .shape(List.of(1L, 64L))
                            .data(pixels)),
                null);
    assertThat(answer.getModelName()).isEqualTo(model);
    assertThat(answer.getModelVersion()).isEqualTo(Integer.toString(variant));
    assertThat(answer.getId()).isEqualTo("contract-1");
    InferOutputTensor logits = answer.getOutputs().get(0);
    assertThat(logits.getShape()).containsExactly(1L, 10L);
    // The int8 variant ranks the classes as the reference logits of its parent do.
    assertThat(argmax(logits.getData())).isEqualTo(argmax(DigitsReference.logits()[0]));

    // Errors are problems the client can read.
    assertThatThrownBy(() -> new ModelsApi(deployer).getModel(uniqueName("absent")))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(404);
              assertThat(e.getResponseBody()).contains("/problems/model-not-found");
            });
  }

  private static int argmax(List<Object> values) {
    int best = 0;
    for (int i = 1; i < values.size(); i++) {
      if (((Number) values.get(i)).doubleValue() > ((Number) values.get(best)).doubleValue()) {
        best = i;
      }
    }
    return best;
  }

  private static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
