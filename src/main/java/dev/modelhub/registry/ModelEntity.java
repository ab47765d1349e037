package dev.modelhub.registry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "model")
class ModelEntity extends DescribedEntity {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  private String name;

  @Column(name = "last_version")
  private int lastVersion;

  protected ModelEntity() {}

  Long id() {
    return id;
  }

  String name() {
    return name;
  }

  /** Hands out the next version number; call only while holding the row lock. */
  int nextVersion(Instant now) {
    lastVersion++;
    touch(now);
    return lastVersion;
  }
}
