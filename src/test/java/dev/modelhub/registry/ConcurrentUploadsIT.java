package dev.modelhub.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.OnnxModels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ConcurrentUploadsIT extends IntegrationTest {

  @Test
  void thirty_two_concurrent_uploads_to_one_model_get_versions_1_to_32() throws Exception {
    String model = uniqueName("burst");
    int uploads = 32;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(uploads);
    List<Future<Response>> results = new ArrayList<>();
    try {
      for (int i = 0; i < uploads; i++) {
        byte[] artifact = OnnxModels.mlp(100 + i, 64, 32, 10).toByteArray();
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return api.upload(model, artifact, null);
                }));
      }
      start.countDown();
      List<Integer> versions = new ArrayList<>();
      for (Future<Response> result : results) {
        Response response = result.get();
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        versions.add(response.json().get("version").asInt());
      }
      assertThat(versions)
          .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, uploads).boxed().toList());
    } finally {
      pool.shutdownNow();
    }
    List<Integer> stored =
        jdbc.sql(
                "select v.version from model_version v join model m on m.id = v.model_id"
                    + " where m.name = ? order by v.version")
            .param(model)
            .query(Integer.class)
            .list();
    assertThat(stored).isEqualTo(IntStream.rangeClosed(1, uploads).boxed().toList());
  }
}
