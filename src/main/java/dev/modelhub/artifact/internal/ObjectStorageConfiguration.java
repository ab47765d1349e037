package dev.modelhub.artifact.internal;

import dev.modelhub.artifact.StorageProperties;
import io.minio.MinioClient;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Wires the MinIO client to the configured S3 endpoint, or to an embedded S3 server when none is
 * set. Either way the rest of Modelhub sees one {@link ObjectStorage}.
 */
@Configuration(proxyBeanMethods = false)
class ObjectStorageConfiguration {

  private static final Logger log = LoggerFactory.getLogger(ObjectStorageConfiguration.class);

  @Bean
  S3Credentials s3Credentials(StorageProperties properties) {
    return S3Credentials.resolve(properties);
  }

  @Bean(destroyMethod = "close")
  @Conditional(NoEndpointConfigured.class)
  EmbeddedS3Server embeddedS3Server(StorageProperties properties, S3Credentials credentials) {
    return EmbeddedS3Server.start(properties, credentials);
  }

  @Bean
  ObjectStorage objectStorage(
      StorageProperties properties,
      S3Credentials credentials,
      ObjectProvider<EmbeddedS3Server> embedded) {
    String endpoint =
        properties.usesEmbeddedServer()
            ? embedded.getObject().endpoint()
            : properties.endpoint().strip();
    MinioClient client =
        client(
            properties,
            credentials,
            endpoint,
            properties.connectTimeout(),
            properties.ioTimeout(),
            properties.ioTimeout());
    Duration probe = properties.healthTimeout();
    MinioClient probeClient = client(properties, credentials, endpoint, probe, probe, probe);
    ObjectStorage storage =
        new ObjectStorage(
            client, probeClient, properties.bucket(), endpoint, properties.partSize().toBytes());
    try {
      storage.ensureBucket();
    } catch (IOException e) {
      // Start anyway: health shows the storage DOWN, and the bucket is created on first use.
      log.warn("Object storage at {} is not reachable yet: {}", endpoint, e.getMessage());
    }
    return storage;
  }

  private static MinioClient client(
      StorageProperties properties,
      S3Credentials credentials,
      String endpoint,
      Duration connect,
      Duration read,
      Duration write) {
    OkHttpClient http =
        new OkHttpClient.Builder()
            .connectTimeout(connect)
            .readTimeout(read)
            .writeTimeout(write)
            .retryOnConnectionFailure(false)
            .build();
    return MinioClient.builder()
        .endpoint(endpoint)
        .region(properties.region())
        .credentials(credentials.accessKey(), credentials.secretKey())
        .httpClient(http)
        .build();
  }

  /** True when {@code modelhub.storage.endpoint} is empty, so the embedded server is needed. */
  static class NoEndpointConfigured implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      String endpoint = context.getEnvironment().getProperty("modelhub.storage.endpoint");
      return endpoint == null || endpoint.isBlank();
    }
  }
}
