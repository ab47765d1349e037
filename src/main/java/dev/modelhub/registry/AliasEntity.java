package dev.modelhub.registry;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;

@Entity
@Table(name = "model_alias")
@IdClass(AliasEntity.Key.class)
class AliasEntity {

  record Key(Long modelId, String alias) implements Serializable {}

  @Id private Long modelId;
  @Id private String alias;
  private Long versionId;
  private Instant updatedAt;
  private String updatedBy;

  protected AliasEntity() {}

  AliasEntity(Long modelId, String alias, Long versionId, Instant now, String actor) {
    this.modelId = modelId;
    this.alias = alias;
    this.versionId = versionId;
    this.updatedAt = now;
    this.updatedBy = actor;
  }

  Long modelId() {
    return modelId;
  }

  String alias() {
    return alias;
  }

  Long versionId() {
    return versionId;
  }

  Instant updatedAt() {
    return updatedAt;
  }

  String updatedBy() {
    return updatedBy;
  }

  void moveTo(Long versionId, Instant now, String actor) {
    this.versionId = versionId;
    this.updatedAt = now;
    this.updatedBy = actor;
  }
}
