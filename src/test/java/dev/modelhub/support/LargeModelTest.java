package dev.modelhub.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Api.Response;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** What the large-model test and benchmark share: streamed uploads, long jobs, exact outputs. */
public abstract class LargeModelTest extends ServingTest {

  /** Uploads an archive from its file, streamed; answers the version. */
  protected int uploadFile(String model, Path archive, long parameters) throws Exception {
    Response created =
        api.send(
            api.request(
                    "/api/v1/models/" + model + "/versions?filename=" + archive.getFileName(),
                    "Content-Type",
                    "application/octet-stream")
                .timeout(Duration.ofMinutes(30))
                .POST(HttpRequest.BodyPublishers.ofFile(archive)));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("parameterCount").asLong()).isEqualTo(parameters);
    return created.json().get("version").asInt();
  }

  /** Waits for a job as long as a large model needs; answers it. */
  protected JsonNode awaitJob(long id, Duration timeout) {
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                Set.of("SUCCEEDED", "FAILED", "CANCELLED")
                    .contains(job(id).get("status").asString()));
    return job(id);
  }

  /** The output of version {@code version} for one sample {@code x} of input "x". */
  protected double[] infer(String model, int version, float[] x) {
    List<Float> data = new ArrayList<>();
    for (float v : x) {
      data.add(v);
    }
    Response answer =
        api.postJson(
            "/v2/models/" + model + "/versions/" + version + "/infer",
            Map.of(
                "inputs",
                List.of(
                    Map.of(
                        "name",
                        "x",
                        "shape",
                        List.of(1, x.length),
                        "datatype",
                        "FP32",
                        "data",
                        data))));
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    JsonNode out = answer.json().get("outputs").get(0).get("data");
    double[] y = new double[out.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = out.get(i).asDouble();
    }
    return y;
  }

  /** The largest difference, relative to the largest expected magnitude. */
  protected static double relativeError(double[] actual, double[] expected) {
    double max = 0;
    double err = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs(expected[i]));
      err = Math.max(err, Math.abs(actual[i] - expected[i]));
    }
    return err / max;
  }

  /** A fixed input for a model of {@code width} inputs. */
  protected static float[] sample(int width) {
    float[] x = new float[width];
    for (int i = 0; i < width; i++) {
      x[i] = (float) Math.sin(i + 1);
    }
    return x;
  }
}
