package dev.modelhub.support;

import dev.modelhub.artifact.ArchiveProperties;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.artifact.StorageProperties;
import java.nio.file.Path;
import org.springframework.util.unit.DataSize;

/** Typed properties for unit tests that build services without Spring. */
public final class TestProperties {

  private TestProperties() {}

  /** Storage settings whose spool folder is {@code spool}; the S3 fields are unused. */
  public static StorageProperties storage(Path spool) {
    return new StorageProperties(
        null,
        "access",
        "secret",
        "bucket",
        "us-east-1",
        DataSize.ofMegabytes(16),
        spool,
        null,
        null,
        null,
        null);
  }

  /** Storage settings for an endpoint (null: the embedded server) and credentials. */
  public static StorageProperties storage(String endpoint, String accessKey, String secretKey) {
    return new StorageProperties(
        endpoint,
        accessKey,
        secretKey,
        "bucket",
        "us-east-1",
        DataSize.ofMegabytes(16),
        Path.of("spool"),
        null,
        null,
        null,
        null);
  }

  /** An unpacker with the given limits, working under {@code spool}. */
  public static SafeUnpacker unpacker(Path spool, DataSize maxUnpacked, int maxEntries) {
    return new SafeUnpacker(
        new ArchiveProperties(maxUnpacked, maxEntries, 1000, DataSize.ofMegabytes(1)),
        storage(spool));
  }
}
