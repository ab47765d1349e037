package dev.modelhub.artifact;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Object storage settings ({@code modelhub.storage.*}).
 *
 * @param endpoint URL of the S3 service (MinIO, AWS S3…); when empty Modelhub starts its embedded
 *     S3 server and uses that instead
 * @param accessKey S3 access key; required with an external endpoint, and made up at each start for
 *     the embedded server when unset
 * @param secretKey S3 secret key; required with an external endpoint, and made up at each start for
 *     the embedded server when unset
 * @param bucket bucket holding all blobs; created when missing
 * @param region S3 region sent with requests
 * @param partSize size of each multipart-upload part, and so the memory one upload buffers (≥ 5MB;
 *     10,000 parts bound the largest artifact at 10,000 × this)
 * @param spoolDir local folder an upload is copied to while it streams, for format inspection;
 *     needs room for the artifacts being uploaded at the same time
 * @param connectTimeout time allowed to open a connection to the S3 service
 * @param ioTimeout time allowed for one S3 read or write to make progress
 * @param healthTimeout time the health check waits for the S3 service
 * @param embedded the embedded S3 server used when {@code endpoint} is empty
 */
@Validated
@ConfigurationProperties("modelhub.storage")
public record StorageProperties(
    String endpoint,
    String accessKey,
    String secretKey,
    @DefaultValue("modelhub") @NotBlank String bucket,
    @DefaultValue("us-east-1") String region,
    @DefaultValue("16MB") DataSize partSize,
    @DefaultValue("./data/spool") Path spoolDir,
    @DefaultValue("10s") Duration connectTimeout,
    @DefaultValue("5m") Duration ioTimeout,
    @DefaultValue("3s") Duration healthTimeout,
    @DefaultValue @Valid Embedded embedded) {

  /** Never shows the secret key. */
  @Override
  public String toString() {
    return "StorageProperties[endpoint="
        + endpoint
        + ", accessKey="
        + accessKey
        + ", secretKey="
        + (secretKey == null || secretKey.isEmpty() ? "unset" : "***")
        + ", bucket="
        + bucket
        + "]";
  }

  /** S3 refuses multipart parts under 5 MiB (but the last), and uploads stream in parts. */
  @AssertTrue(message = "part-size must be at least 5MB, the smallest part S3 accepts")
  boolean isPartSizeAccepted() {
    return partSize == null || partSize.toBytes() >= 5L * 1024 * 1024;
  }

  /** Whether Modelhub runs its own S3 server instead of talking to an external one. */
  public boolean usesEmbeddedServer() {
    return endpoint == null || endpoint.isBlank();
  }

  /**
   * The embedded S3 server ({@code modelhub.storage.embedded.*}).
   *
   * @param dataDir folder the embedded server keeps buckets and objects in
   * @param host address it listens on; loopback by default, as only Modelhub talks to it
   * @param port port it listens on; 0 picks a free one
   */
  public record Embedded(
      @DefaultValue("./data/s3") Path dataDir,
      @DefaultValue("127.0.0.1") String host,
      @DefaultValue("0") @Min(0) @Max(65535) int port) {}
}
