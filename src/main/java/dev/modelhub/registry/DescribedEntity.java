package dev.modelhub.registry;

import jakarta.persistence.MappedSuperclass;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** What models and versions share: a description, tags, and who made them when. */
@MappedSuperclass
abstract class DescribedEntity {

  private String description;

  @JdbcTypeCode(SqlTypes.JSON)
  private Map<String, String> tags = new HashMap<>();

  private Instant createdAt;
  private String createdBy;
  private Instant updatedAt;

  protected DescribedEntity() {}

  protected DescribedEntity(
      String description, Map<String, String> tags, Instant now, String actor) {
    this.description = description;
    this.tags = tags == null ? new HashMap<>() : new HashMap<>(tags);
    this.createdAt = now;
    this.createdBy = actor;
    this.updatedAt = now;
  }

  String description() {
    return description;
  }

  Map<String, String> tags() {
    return tags == null ? Map.of() : tags;
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

  /** Changes what is given: an empty description clears it, absent fields stay. */
  void update(String description, Map<String, String> tags, Instant now) {
    if (description != null) {
      this.description = description.isEmpty() ? null : description;
    }
    if (tags != null) {
      this.tags = new HashMap<>(tags);
    }
    touch(now);
  }

  protected void touch(Instant now) {
    this.updatedAt = now;
  }
}
