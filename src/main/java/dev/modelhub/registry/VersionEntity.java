package dev.modelhub.registry;

import dev.modelhub.format.ArtifactInspection;
import dev.modelhub.format.BatchingPolicy;
import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.Pipeline;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;
import tools.jackson.databind.JsonNode;

@Entity
@Table(name = "model_version")
class VersionEntity extends DescribedEntity {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  private Long modelId;
  private int version;
  private String format;

  @Column(name = "artifact_digest")
  private String digest;

  private long sizeBytes;
  private String filename;

  @JdbcTypeCode(SqlTypes.JSON)
  private ModelSignature signature;

  private Long parameterCount;

  @JdbcTypeCode(SqlTypes.JSON)
  private String formatDetails;

  private Long parentVersionId;
  private Long producedByJobId;

  @JdbcTypeCode(SqlTypes.JSON)
  private String lineage;

  @JdbcTypeCode(SqlTypes.JSON)
  private String report;

  @JdbcTypeCode(SqlTypes.JSON)
  private String warmup;

  @JdbcTypeCode(SqlTypes.JSON)
  private String batching;

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(VersionEntity.class);

  @JdbcTypeCode(SqlTypes.JSON)
  private String pipeline;

  @Enumerated(EnumType.STRING)
  private VersionStatus status;

  private Boolean servable;
  private String servableMessage;
  private Instant validatedAt;
  private Instant validatingUntil;

  protected VersionEntity() {}

  VersionEntity(
      Long modelId,
      int version,
      ArtifactInspection inspection,
      String digest,
      long sizeBytes,
      String filename,
      Requests.VersionMetadata metadata,
      Instant now,
      String actor) {
    super(metadata.description(), metadata.tags(), now, actor);
    this.modelId = modelId;
    this.version = version;
    this.format = inspection.format().id();
    this.digest = digest;
    this.sizeBytes = sizeBytes;
    this.filename = filename;
    this.signature = inspection.signature();
    this.parameterCount = inspection.parameterCount();
    this.formatDetails = StoredJson.write(inspection.details());
    this.warmup =
        metadata.warmup() == null || metadata.warmup().isNull()
            ? null
            : metadata.warmup().toString();
    this.batching = metadata.batching() == null ? null : StoredJson.write(metadata.batching());
    this.pipeline = metadata.pipeline() == null ? null : StoredJson.write(metadata.pipeline());
    this.status = VersionStatus.READY;
  }

  Long id() {
    return id;
  }

  Long modelId() {
    return modelId;
  }

  int version() {
    return version;
  }

  String format() {
    return format;
  }

  String digest() {
    return digest;
  }

  long sizeBytes() {
    return sizeBytes;
  }

  String filename() {
    return filename;
  }

  ModelSignature signature() {
    return signature;
  }

  Long parameterCount() {
    return parameterCount;
  }

  FormatDetails formatDetails() {
    return StoredJson.read(
        formatDetails == null ? "{}" : formatDetails,
        FormatDetails.typeOf(ModelFormat.fromId(format).orElseThrow()));
  }

  Long parentVersionId() {
    return parentVersionId;
  }

  Long producedByJobId() {
    return producedByJobId;
  }

  JsonNode lineage() {
    return StoredJson.tree(lineage);
  }

  JsonNode report() {
    return StoredJson.tree(report);
  }

  /** The warm-up samples uploaded with it, or null. */
  JsonNode warmup() {
    return StoredJson.tree(warmup);
  }

  /** Pre- and post-processing, or null when it has none. */
  Pipeline pipeline() {
    if (pipeline == null) {
      return null;
    }
    try {
      return StoredJson.read(pipeline, Pipeline.class);
    } catch (RuntimeException e) {
      // A pipeline stored by a version of Modelhub whose steps this one does not know must not
      // stop every read of the registry (and every node's reconcile): the version serves tensors.
      log.warn(
          "v{} of model {}: its stored pipeline cannot be read, ignored: {}",
          version,
          modelId,
          e.toString());
      return null;
    }
  }

  void pipeline(Pipeline steps, Instant now) {
    this.pipeline = steps == null ? null : StoredJson.write(steps);
    touch(now);
  }

  /** Dynamic batching on serving nodes, or null when off. */
  BatchingPolicy batching() {
    return batching == null ? null : StoredJson.read(batching, BatchingPolicy.class);
  }

  boolean hasWarmup() {
    return warmup != null;
  }

  VersionStatus status() {
    return status;
  }

  /** Whether its validation load succeeded; null when no node checked it. */
  Boolean servable() {
    return servable;
  }

  /** The engine's message when it is not servable. */
  String servableMessage() {
    return servableMessage;
  }

  /** Records the outcome of its validation load: {@code problem} null when it loaded. */
  void validated(String problem, Instant now) {
    this.servable = problem == null;
    this.servableMessage = problem;
    this.validatedAt = now;
    this.validatingUntil = null;
  }

  /** Marks a validation load as running, until {@code until} at most. */
  void validating(Instant until) {
    this.validatingUntil = until;
  }

  /** Records that its validation load could not run: it stays unchecked (and promotable). */
  void unchecked() {
    this.validatingUntil = null;
  }

  /** Whether a validation load is running on it at {@code now}. */
  boolean isValidating(Instant now) {
    return servable == null && validatingUntil != null && now.isBefore(validatingUntil);
  }

  /** Records where a variant came from (before it is first saved). */
  void derivedFrom(Long parentId, Derivation derivation) {
    this.parentVersionId = parentId;
    this.producedByJobId = derivation.jobId();
    this.lineage = StoredJson.write(derivation.lineage());
    this.report = StoredJson.write(derivation.report());
  }

  void archive(Instant now) {
    this.status = VersionStatus.ARCHIVED;
    touch(now);
  }
}
