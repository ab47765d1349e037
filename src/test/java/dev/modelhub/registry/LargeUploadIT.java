package dev.modelhub.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.StreamedOnnxModel;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A 1 GiB model goes in and comes back out of a JVM whose heap is 256 MB (this class runs in its
 * own Failsafe execution with -Xmx256m): uploads stream through a digest into a multipart upload
 * and downloads stream back, in both directions without holding the artifact in memory.
 */
@TestPropertySource(
    properties = {
      "modelhub.upload.max-size=2GB",
      "modelhub.archive.max-unpacked-size=2GB",
      "modelhub.storage.part-size=16MB"
    })
class LargeUploadIT extends IntegrationTest {

  private static final long ELEMENTS = 256L * 1024 * 1024; // 1 GiB of FP32

  @Test
  void one_gib_model_round_trips_under_a_256_mb_heap() throws Exception {
    long maxHeap = Runtime.getRuntime().maxMemory();
    assertThat(maxHeap)
        .as("run by the large-upload execution with -Xmx256m")
        .isLessThanOrEqualTo(256L << 20);
    String model = uniqueName("large");
    StreamedOnnxModel artifact = new StreamedOnnxModel(ELEMENTS);
    long size = artifact.size();
    assertThat(size).isGreaterThan(1L << 30);

    Response created =
        api.send(
            api.request(
                    "/api/v1/models/" + model + "/versions?filename=large.onnx",
                    "Content-Type",
                    "application/octet-stream")
                .POST(
                    HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> artifact), size)));

    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    JsonNode version = created.json();
    String expected = "sha256:" + HexFormat.of().formatHex(artifact.digest());
    assertThat(version.get("digest").asString()).isEqualTo(expected);
    assertThat(version.get("sizeBytes").asLong()).isEqualTo(size);
    assertThat(version.get("parameterCount").asLong()).isEqualTo(ELEMENTS);
    assertThat(version.get("signature").get("inputs").get(0).get("name").asString()).isEqualTo("x");

    HttpResponse<InputStream> download =
        HttpClient.newHttpClient()
            .send(
                api.request("/api/v1/models/" + model + "/versions/1/artifact").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
    assertThat(download.statusCode()).isEqualTo(200);
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    long downloaded = 0;
    try (InputStream in = download.body()) {
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha256.update(buffer, 0, n);
        downloaded += n;
      }
    }
    assertThat(downloaded).isEqualTo(size);
    assertThat("sha256:" + HexFormat.of().formatHex(sha256.digest())).isEqualTo(expected);
    System.out.printf(
        "LargeUploadIT: %d bytes uploaded and downloaded with a %d MB max heap%n",
        size, maxHeap >> 20);
  }
}
