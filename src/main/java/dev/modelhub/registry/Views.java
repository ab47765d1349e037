package dev.modelhub.registry;

import dev.modelhub.format.ModelFormat;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/** Turns entities into API views. */
@Component
class Views {

  private final VersionRepository versions;

  Views(VersionRepository versions) {
    this.versions = versions;
  }

  VersionView version(String model, VersionEntity v, List<String> aliases) {
    Integer parent =
        v.parentVersionId() == null
            ? null
            : versions.findById(v.parentVersionId()).map(VersionEntity::version).orElse(null);
    return version(model, v, aliases, parent);
  }

  /** A version whose parent's number the caller looked up (for a page of versions at once). */
  VersionView version(String model, VersionEntity v, List<String> aliases, Integer parent) {
    return new VersionView(
        model,
        v.version(),
        ModelFormat.fromId(v.format()).orElseThrow(),
        v.digest(),
        v.sizeBytes(),
        v.filename(),
        v.signature(),
        v.parameterCount(),
        v.formatDetails(),
        v.description(),
        v.tags(),
        v.status(),
        aliases,
        parent,
        v.producedByJobId(),
        v.lineage(),
        v.report(),
        v.createdAt(),
        v.createdBy(),
        v.updatedAt(),
        v.hasWarmup(),
        v.batching(),
        v.pipeline(),
        v.servable(),
        v.servableMessage());
  }

  ModelView model(
      ModelEntity m,
      Map<String, Integer> aliases,
      VersionEntity latest,
      List<String> latestAliases) {
    return new ModelView(
        m.name(),
        m.description(),
        m.tags(),
        aliases,
        latest == null ? null : version(m.name(), latest, latestAliases),
        m.createdAt(),
        m.createdBy(),
        m.updatedAt());
  }
}
