package dev.modelhub.registry;

import dev.modelhub.format.ModelFormat;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * What other features read from the registry. The serving controller asks it which versions the
 * served aliases point at: that is the desired state it reconciles towards.
 */
@Service
public class RegistryService {

  /** The Postgres channel a NOTIFY is sent on, in the same transaction, when an alias changes. */
  public static final String ALIAS_CHANNEL = "modelhub_alias";

  private final ModelRepository models;
  private final VersionRepository versions;
  private final AliasRepository aliases;

  RegistryService(ModelRepository models, VersionRepository versions, AliasRepository aliases) {
    this.models = models;
    this.versions = versions;
    this.aliases = aliases;
  }

  /** Where each of {@code aliasNames} points, across all models. */
  @Transactional(readOnly = true)
  public List<AliasTarget> targets(Collection<String> aliasNames) {
    return resolve(aliases.findByAliasIn(aliasNames));
  }

  /** Where each of {@code aliasNames} of one model points (empty if the model does not exist). */
  @Transactional(readOnly = true)
  public List<AliasTarget> targets(String model, Collection<String> aliasNames) {
    return models
        .findByName(model)
        .map(m -> resolve(aliases.findByModelIdAndAliasIn(m.id(), aliasNames)))
        .orElse(List.of());
  }

  private List<AliasTarget> resolve(List<AliasEntity> found) {
    if (found.isEmpty()) {
      return List.of();
    }
    Map<Long, String> names =
        models.findAllById(found.stream().map(AliasEntity::modelId).distinct().toList()).stream()
            .collect(Collectors.toMap(ModelEntity::id, ModelEntity::name));
    Map<Long, VersionEntity> byId =
        versions.findByIdIn(found.stream().map(AliasEntity::versionId).toList()).stream()
            .collect(Collectors.toMap(VersionEntity::id, Function.identity()));
    return found.stream()
        .map(
            a -> {
              VersionEntity v = byId.get(a.versionId());
              return new AliasTarget(
                  names.get(a.modelId()),
                  a.alias(),
                  v.version(),
                  v.digest(),
                  v.sizeBytes(),
                  ModelFormat.fromId(v.format()).orElseThrow(),
                  v.signature(),
                  v.formatDetails());
            })
        .toList();
  }
}
