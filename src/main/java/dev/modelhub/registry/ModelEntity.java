package dev.modelhub.registry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

@Entity
@Table(name = "model")
class ModelEntity {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  private String name;

  private String description;

  @JdbcTypeCode(SqlTypes.JSON)
  private Map<String, String> tags = new HashMap<>();

  @Column(name = "last_version")
  private int lastVersion;

  private Instant createdAt;
  private String createdBy;
  private Instant updatedAt;

  protected ModelEntity() {}

  Long id() {
    return id;
  }

  String name() {
    return name;
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

  /** Hands out the next version number; call only while holding the row lock. */
  int nextVersion(Instant now) {
    lastVersion++;
    updatedAt = now;
    return lastVersion;
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
}
