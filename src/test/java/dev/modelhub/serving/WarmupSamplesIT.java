package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import org.junit.jupiter.api.Test;

/**
 * Warm-up samples uploaded with a version are what a node runs before the version takes traffic: an
 * integer division, whose generated zeros the engine refuses as divisors, warms up with its
 * samples; samples that do not fit the signature are refused at upload.
 */
class WarmupSamplesIT extends ServingTest {

  private static final String SAMPLES =
      "{\"warmup\":{\"inputs\":["
          + "{\"name\":\"numerator\",\"datatype\":\"INT32\",\"shape\":[1,2],\"data\":[6,7]},"
          + "{\"name\":\"divisor\",\"datatype\":\"INT32\",\"shape\":[1,2],\"data\":[2,2]}]}}";

  @Test
  void a_version_warms_up_with_its_own_samples() {
    String model = uniqueName("warmup");
    Response created =
        api.uploadMultipart(model, OnnxModels.integerDivide().toByteArray(), "d.onnx", SAMPLES);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("warmupSamples").asBoolean()).isTrue();
    promote(model, "production", 1);
    awaitServing(model, "production", 1);

    String labels = "model=\"" + model + "\"";
    assertThat(metric("modelhub_model_warmups_total", labels, "outcome=\"samples\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(metric("modelhub_model_warmups_total", labels, "outcome=\"refused\"")).isZero();
    api.delete("/api/v1/models/" + model + "/aliases/production");
  }

  @Test
  void samples_that_do_not_fit_the_signature_are_refused_at_upload() {
    String model = uniqueName("warmup-bad");
    byte[] onnx = OnnxModels.integerDivide().toByteArray();
    Response unknown =
        api.uploadMultipart(model, onnx, "d.onnx", SAMPLES.replace("\"numerator\"", "\"x\""));
    assertThat(unknown.status()).as(unknown.toString()).isEqualTo(400);
    assertThat(unknown.json().get("detail").asString()).contains("no input 'x'");
    Response missing =
        api.uploadMultipart(
            model,
            onnx,
            "d.onnx",
            "{\"warmup\":{\"inputs\":[{\"name\":\"numerator\",\"datatype\":\"INT32\","
                + "\"shape\":[1,2],\"data\":[6,7]}]}}");
    assertThat(missing.status()).as(missing.toString()).isEqualTo(400);
    assertThat(missing.json().get("detail").asString()).contains("[divisor] are missing");
    Response notARequest = api.uploadMultipart(model, onnx, "d.onnx", "{\"warmup\":[1,2]}");
    assertThat(notARequest.status()).isEqualTo(400);
    Response versions = api.get("/api/v1/models/" + model + "/versions");
    if (versions.status() == 200) {
      assertThat(versions.json().get("items")).as("no version registered").isEmpty();
    } else {
      assertThat(versions.status()).isEqualTo(404);
    }
  }
}
