package dev.modelhub.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.TestSecrets;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** A client that goes away mid-upload leaves nothing behind. */
class AbandonedUploadIT extends IntegrationTest {

  @Autowired ArtifactStore store;
  @Autowired MeterRegistry meters;

  @Test
  void client_disconnecting_midway_leaves_no_version_row_and_no_visible_object() throws Exception {
    String model = uniqueName("abandoned");
    List<String> objectsBefore = objectKeys("");
    // the job worker's own folder (spool/jobs) may be there from other tests: nothing is added
    List<Path> spoolBefore = spoolFiles();
    double failedBefore = failedUploads();
    int declared = 8 * 1024 * 1024;
    byte[] sent = new byte[6 * 1024 * 1024];
    new Random(1).nextBytes(sent);

    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /api/v1/models/"
                  + model
                  + "/versions?filename=big.onnx HTTP/1.1\r\n"
                  + "Host: 127.0.0.1\r\n"
                  + "Authorization: Bearer "
                  + TestSecrets.adminKey()
                  + "\r\n"
                  + "Content-Type: application/octet-stream\r\n"
                  + "Content-Length: "
                  + declared
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      // More than one 5 MB part: the server has started a multipart upload by now.
      out.write(sent);
      out.flush();
      await().atMost(Duration.ofSeconds(30)).until(() -> store.activeUploads() > 0);
    }

    await().atMost(Duration.ofSeconds(30)).until(() -> failedUploads() > failedBefore);
    assertThat(store.activeUploads()).isZero();
    assertThat(versionRows(model)).isZero();
    assertThat(objectKeys("")).containsExactlyInAnyOrderElementsOf(objectsBefore);
    assertThat(spoolFiles()).containsExactlyInAnyOrderElementsOf(spoolBefore);
  }

  private double failedUploads() {
    var counter = meters.find("modelhub.uploads").tag("outcome", "failed").counter();
    return counter == null ? 0 : counter.count();
  }

  private List<Path> spoolFiles() throws Exception {
    try (Stream<Path> files = Files.list(storageProperties.spoolDir())) {
      return files.toList();
    }
  }
}
