package dev.modelhub.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.artifact.StorageProperties;
import dev.modelhub.artifact.internal.ObjectStorage;
import dev.modelhub.artifact.internal.S3Credentials;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.ObjectMapper;

/**
 * Base of the end-to-end tests: the whole application on a random port against real PostgreSQL and
 * a real S3 server (see {@link TestInfrastructure}). All subclasses share one application context,
 * so tests use model names of their own.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      // Small limits make the 413 and zip-bomb cases cheap; LargeUploadIT raises them.
      "modelhub.upload.max-size=8MB",
      "modelhub.archive.max-unpacked-size=32MB",
      // The S3 minimum, so that a few megabytes already make a multipart upload.
      "modelhub.storage.part-size=5MB",
      // Registry tests do not load models; ServingTest turns serving on.
      "modelhub.roles=api,worker",
      // Every serving context of the test JVM on a free gRPC port.
      "modelhub.serving.grpc.port=0",
      "modelhub.serving.validate-versions=false",
      "modelhub.jobs.poll-interval=200ms",
      "modelhub.jobs.latency-runs=50",
      "modelhub.jobs.pass-heap=256MB",
      // DashboardBrowserIT counts the statements a page makes.
      "spring.jpa.properties.hibernate.generate_statistics=true"
    })
public abstract class IntegrationTest {

  @LocalServerPort protected int port;
  @Autowired protected ObjectMapper json;
  @Autowired protected JdbcClient jdbc;
  @Autowired protected ObjectStorage objectStorage;
  @Autowired protected StorageProperties storageProperties;
  @Autowired protected S3Credentials s3Credentials;

  protected Api api;

  @DynamicPropertySource
  static void infrastructure(DynamicPropertyRegistry registry) {
    TestInfrastructure.register(registry);
  }

  @BeforeEach
  void createClient() {
    api = new Api(port, json);
  }

  /** No test of the class let a configured secret reach a log line or a response body. */
  @AfterAll
  static void noSecretSeen() {
    assertThat(SecretScan.violations()).as("secrets in logs or responses").isEmpty();
  }

  /**
   * Makes an API key through the API (as the run's admin) and answers its secret. {@code models}
   * are the patterns it is limited to (none: every model).
   */
  protected String createKey(String name, String role, String... models) {
    Api.Response created =
        api.postJson("/api/v1/keys", Map.of("name", name, "role", role, "models", List.of(models)));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    return created.json().get("key").asString();
  }

  /** An expired key: made through the API, then its expiry moved into the past. */
  protected String expiredKey(String name, String role) {
    String key = createKey(name, role);
    jdbc.sql("update api_key set expires_at = now() - interval '1 minute' where id = ?")
        .param(keyId(key))
        .update();
    return key;
  }

  /** A revoked key: made and revoked through the API. */
  protected String revokedKey(String name, String role) {
    String key = createKey(name, role);
    assertThat(api.delete("/api/v1/keys/" + keyId(key)).status()).isEqualTo(204);
    return key;
  }

  /** The id of a key made through the API. */
  protected long keyId(String key) {
    return jdbc.sql("select id from api_key where prefix = ?")
        .param(key.substring(0, 12))
        .query(Long.class)
        .single();
  }

  /** A model name no other test uses. */
  protected static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Keys of the objects visible in the bucket under {@code prefix}. */
  protected List<String> objectKeys(String prefix) throws Exception {
    MinioClient client =
        MinioClient.builder()
            .endpoint(objectStorage.endpoint())
            .region(storageProperties.region())
            .credentials(s3Credentials.accessKey(), s3Credentials.secretKey())
            .build();
    List<String> keys = new ArrayList<>();
    for (Result<Item> item :
        client.listObjects(
            ListObjectsArgs.builder()
                .bucket(objectStorage.bucket())
                .prefix(prefix)
                .recursive(true)
                .build())) {
      keys.add(item.get().objectName());
    }
    return keys;
  }

  /** Number of version rows of a model (0 when the model does not exist). */
  protected long versionRows(String model) {
    return jdbc.sql(
            "select count(*) from model_version v join model m on m.id = v.model_id where m.name = ?")
        .param(model)
        .query(Long.class)
        .single();
  }
}
