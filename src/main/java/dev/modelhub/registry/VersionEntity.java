package dev.modelhub.registry;

import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;
import tools.jackson.databind.JsonNode;

@Entity
@Table(name = "model_version")
class VersionEntity {

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

  private String description;

  @JdbcTypeCode(SqlTypes.JSON)
  private Map<String, String> tags = new HashMap<>();

  private Long parentVersionId;
  private Long producedByJobId;

  @JdbcTypeCode(SqlTypes.JSON)
  private String lineage;

  @JdbcTypeCode(SqlTypes.JSON)
  private String report;

  @Enumerated(EnumType.STRING)
  private VersionStatus status;

  private Instant createdAt;
  private String createdBy;
  private Instant updatedAt;

  protected VersionEntity() {}

  VersionEntity(
      Long modelId,
      int version,
      String format,
      String digest,
      long sizeBytes,
      String filename,
      ModelSignature signature,
      Long parameterCount,
      FormatDetails formatDetails,
      String description,
      Map<String, String> tags,
      Instant now,
      String actor) {
    this.modelId = modelId;
    this.version = version;
    this.format = format;
    this.digest = digest;
    this.sizeBytes = sizeBytes;
    this.filename = filename;
    this.signature = signature;
    this.parameterCount = parameterCount;
    this.formatDetails = StoredJson.write(formatDetails);
    this.description = description;
    this.tags = tags == null ? new HashMap<>() : new HashMap<>(tags);
    this.status = VersionStatus.READY;
    this.createdAt = now;
    this.createdBy = actor;
    this.updatedAt = now;
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

  String description() {
    return description;
  }

  Map<String, String> tags() {
    return tags == null ? Map.of() : tags;
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

  VersionStatus status() {
    return status;
  }

  Instant createdAt() {
    return createdAt;
  }

  String createdBy() {
    return createdBy;
  }

  Instant updatedAt() {
    return updatedAt;
  }

  void update(String description, Map<String, String> tags, Instant now) {
    if (description != null) {
      this.description = description.isEmpty() ? null : description;
    }
    if (tags != null) {
      this.tags = new HashMap<>(tags);
    }
    this.updatedAt = now;
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
    this.updatedAt = now;
  }
}
