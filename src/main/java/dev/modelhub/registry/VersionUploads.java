package dev.modelhub.registry;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.ArtifactTooLargeException;
import dev.modelhub.artifact.Digest;
import dev.modelhub.artifact.StagedArtifact;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.format.ArtifactInspection;
import dev.modelhub.format.BatchingPolicy;
import dev.modelhub.format.InvalidArtifactException;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelInspector;
import dev.modelhub.security.Caller;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.InputStream;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Service;

/**
 * Registers a version from an upload in four steps, none of which holds a database connection while
 * bytes stream: stage the bytes (digest, multipart upload, spool copy), inspect them, promote the
 * blob to its content address, then commit the version row. The staging copies are released
 * whatever happens, so a failure leaves no row and no visible object. Where this node can load
 * models (the serving role), a validation load then records whether the version is servable.
 */
@Service
class VersionUploads {

  private static final Logger log = LoggerFactory.getLogger(VersionUploads.class);

  private final ArtifactStore store;
  private final ModelInspector inspector;
  private final VersionService versions;
  private final UploadProperties limits;
  private final MeterRegistry meters;
  private final ObjectProvider<ServabilityCheck> servability;
  private final PipelineRules pipelines;

  VersionUploads(
      ArtifactStore store,
      ModelInspector inspector,
      VersionService versions,
      UploadProperties limits,
      MeterRegistry meters,
      ObjectProvider<ServabilityCheck> servability,
      PipelineRules pipelines) {
    this.pipelines = pipelines;
    this.servability = servability;
    this.store = store;
    this.inspector = inspector;
    this.versions = versions;
    this.limits = limits;
    this.meters = meters;
    Gauge.builder("modelhub.uploads.active", store, ArtifactStore::activeUploads)
        .description("Version uploads being received")
        .register(meters);
  }

  /** Streams an upload body into staging; refuses a declared or actual size over the limit. */
  StagedArtifact stage(InputStream body, long declaredLength) {
    long max = limits.maxSize().toBytes();
    if (declaredLength > max) {
      count("too_large");
      throw new ArtifactTooLargeException(max);
    }
    store.checkRoomFor(declaredLength);
    try {
      return store.stage(body, max);
    } catch (RuntimeException e) {
      count("failed");
      throw e;
    }
  }

  /**
   * Inspects, promotes and commits a staged upload, then releases the staging copies.
   *
   * @param derivation where a job produced the version: its parent, job and report; else null
   */
  VersionView complete(
      String model,
      StagedArtifact staged,
      String filename,
      ModelFormat format,
      Requests.VersionMetadata metadata,
      Caller caller,
      Derivation derivation) {
    try {
      if (staged.sizeBytes() == 0) {
        throw new InvalidArtifactException("The artifact is empty.");
      }
      ArtifactInspection inspection =
          inspector.inspect(staged.spoolFile(), filename, format, metadata.signature());
      metadata = withBatching(withWarmup(metadata, inspection), inspection, derivation != null);
      metadata = withPipeline(metadata, inspection, derivation != null);
      ServabilityCheck check = servability.getIfAvailable();
      Digest digest = store.promote(staged);
      VersionView version =
          versions.create(
              model,
              digest,
              staged.sizeBytes(),
              filename,
              inspection,
              metadata,
              caller,
              derivation,
              check == null ? null : check.bound());
      count("registered");
      version = validate(check, version);
      Counter.builder("modelhub.uploads.bytes")
          .description("Bytes of registered artifacts")
          .register(meters)
          .increment(staged.sizeBytes());
      return version;
    } catch (RuntimeException e) {
      count("rejected");
      throw e;
    } finally {
      store.release(staged);
    }
  }

  /**
   * Loads the committed version in its engine, where this node can, and records the outcome. A
   * check that cannot run (storage unreachable, say) leaves the version unchecked: the upload
   * itself has succeeded.
   */
  private VersionView validate(ServabilityCheck check, VersionView version) {
    if (check == null || version.servable() != null) {
      return version;
    }
    try {
      Optional<String> problem =
          check.problem(
              new AliasTarget(
                  version.model(),
                  null,
                  version.version(),
                  version.digest(),
                  version.sizeBytes(),
                  version.format(),
                  version.signature(),
                  version.formatDetails(),
                  version.warmupSamples(),
                  version.batching(),
                  version.pipeline()));
      return versions.validated(version.model(), version.version(), true, problem.orElse(null));
    } catch (RuntimeException e) {
      log.warn(
          "{} v{}: validation load could not run; left unchecked: {}",
          version.model(),
          version.version(),
          e.toString());
      try {
        return versions.validated(version.model(), version.version(), false, null);
      } catch (RuntimeException again) {
        return version; // its validating-until passes on its own
      }
    }
  }

  /**
   * The upload's metadata with its warm-up samples checked: those it gives (a 400 when they do not
   * fit the signature), else those the artifact carries (TF Serving's warm-up file), which are
   * dropped when they do not fit — they are an optimisation, not a reason to refuse the model.
   */
  private static Requests.VersionMetadata withWarmup(
      Requests.VersionMetadata metadata, ArtifactInspection inspection) {
    if (metadata.warmup() != null && !metadata.warmup().isNull()) {
      WarmupSamples.check(metadata.warmup(), inspection.signature());
      return metadata;
    }
    if (inspection.warmup() == null) {
      return metadata;
    }
    try {
      WarmupSamples.check(inspection.warmup(), inspection.signature());
    } catch (RuntimeException unfit) {
      log.info("The artifact's own warm-up requests are not used: {}", unfit.getMessage());
      return metadata;
    }
    return metadata.withWarmup(inspection.warmup());
  }

  /**
   * The metadata with its batching checked against the signature: a 400 for an upload that asks
   * batching of a model without a dynamic first dimension; a variant whose signature lost it
   * (inherited from its parent) is simply not batched.
   */
  private static Requests.VersionMetadata withBatching(
      Requests.VersionMetadata metadata, ArtifactInspection inspection, boolean variant) {
    if (metadata.batching() == null) {
      return metadata;
    }
    String why = BatchingPolicy.unbatchable(inspection.signature());
    if (why == null) {
      return metadata;
    }
    if (variant) {
      log.info("The variant is not batched like its parent: {}", why);
      return metadata.withBatching(null);
    }
    throw new InvalidRequestException(
        "The metadata's \"batching\" cannot apply to this model: " + why + ".");
  }

  /**
   * The metadata with its pipeline checked against the signature: a 400 naming the step for an
   * upload whose pipeline does not fit; a variant whose signature no longer fits its parent's
   * pipeline is registered without one.
   */
  private Requests.VersionMetadata withPipeline(
      Requests.VersionMetadata metadata, ArtifactInspection inspection, boolean variant) {
    if (variant) {
      String problem = pipelines.problem(metadata.pipeline(), inspection.signature());
      if (problem != null) {
        log.info("The variant does not take its parent's pipeline: {}", problem);
        return metadata.withPipeline(null);
      }
      return metadata;
    }
    pipelines.check(metadata.pipeline(), inspection.signature());
    return metadata;
  }

  /** Checks the spool has room for a body of {@code declaredLength} (-1: unknown). */
  void checkRoom(long declaredLength) {
    store.checkRoomFor(declaredLength);
  }

  /** Releases an upload that will not be completed. */
  void abandon(StagedArtifact staged) {
    store.release(staged);
  }

  private void count(String outcome) {
    Counter.builder("modelhub.uploads")
        .description("Version uploads by outcome")
        .tag("outcome", outcome)
        .register(meters)
        .increment();
  }
}
