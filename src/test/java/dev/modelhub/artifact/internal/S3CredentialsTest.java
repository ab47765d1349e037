package dev.modelhub.artifact.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelhub.artifact.StorageProperties;
import dev.modelhub.support.TestProperties;
import org.junit.jupiter.api.Test;

class S3CredentialsTest {

  @Test
  void the_embedded_server_makes_up_random_credentials_when_none_are_set() {
    S3Credentials first = S3Credentials.resolve(TestProperties.storage(null, null, null));
    S3Credentials second = S3Credentials.resolve(TestProperties.storage(null, null, null));
    assertThat(first.secretKey()).hasSize(64).isNotEqualTo(second.secretKey());
    assertThat(first.toString()).doesNotContain(first.secretKey());
  }

  @Test
  void an_external_endpoint_without_credentials_fails_naming_both_properties() {
    StorageProperties external = TestProperties.storage("http://minio:9000", null, null);
    assertThatThrownBy(() -> S3Credentials.resolve(external))
        .hasMessageContaining("modelhub.storage.access-key")
        .hasMessageContaining("modelhub.storage.secret-key");
    StorageProperties half = TestProperties.storage("http://minio:9000", "user", "");
    assertThatThrownBy(() -> S3Credentials.resolve(half)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void configured_credentials_are_used_as_they_are() {
    S3Credentials configured =
        S3Credentials.resolve(TestProperties.storage("http://minio:9000", "user", "secret-value"));
    assertThat(configured.accessKey()).isEqualTo("user");
    assertThat(configured.secretKey()).isEqualTo("secret-value");
  }
}
