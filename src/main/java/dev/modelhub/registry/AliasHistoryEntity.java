package dev.modelhub.registry;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "alias_history")
class AliasHistoryEntity {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  private Long modelId;
  private String alias;
  private Integer fromVersion;
  private Integer toVersion;
  private Instant movedAt;
  private String movedBy;
  private Long auditEventId;

  protected AliasHistoryEntity() {}

  AliasHistoryEntity(
      Long modelId,
      String alias,
      Integer fromVersion,
      Integer toVersion,
      Instant at,
      String by,
      Long auditEventId) {
    this.auditEventId = auditEventId;
    this.modelId = modelId;
    this.alias = alias;
    this.fromVersion = fromVersion;
    this.toVersion = toVersion;
    this.movedAt = at;
    this.movedBy = by;
  }

  String movedBy() {
    return movedBy;
  }

  Integer toVersion() {
    return toVersion;
  }

  Integer fromVersion() {
    return fromVersion;
  }

  AliasMove toView() {
    return new AliasMove(alias, fromVersion, toVersion, movedAt, movedBy, auditEventId);
  }
}
