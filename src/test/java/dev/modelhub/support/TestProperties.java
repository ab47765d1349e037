package dev.modelhub.support;

import dev.modelhub.artifact.ArchiveProperties;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.artifact.StorageProperties;
import dev.modelhub.optimize.JobProperties;
import dev.modelhub.optimize.internal.DatasetReader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
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

  /** Job settings at their defaults, with {@code overrides} ("max-dataset-rows" → "10"). */
  public static JobProperties jobs(Map<String, String> overrides) {
    Map<String, String> values = new HashMap<>();
    overrides.forEach((name, value) -> values.put("modelhub.jobs." + name, value));
    return new Binder(new MapConfigurationPropertySource(values))
        .bindOrCreate("modelhub.jobs", Bindable.of(JobProperties.class));
  }

  /** A dataset reader with default limits, unpacking under {@code spool}. */
  public static DatasetReader datasetReader(Path spool) {
    return new DatasetReader(unpacker(spool, DataSize.ofMegabytes(64), 1000), jobs(Map.of()));
  }

  /** An unpacker with the given limits, working under {@code spool}. */
  public static SafeUnpacker unpacker(Path spool, DataSize maxUnpacked, int maxEntries) {
    return new SafeUnpacker(
        new ArchiveProperties(maxUnpacked, maxEntries, 1000, DataSize.ofMegabytes(1)),
        storage(spool));
  }
}
