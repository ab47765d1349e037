package dev.modelhub.registry;

import dev.modelhub.artifact.StagedArtifact;
import dev.modelhub.format.BatchingPolicy;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.Pipeline;
import dev.modelhub.security.Caller;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.JsonNode;

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
  private final VersionService versionService;
  private final VersionUploads uploads;
  private final AliasService aliasService;

  RegistryService(
      ModelRepository models,
      VersionRepository versions,
      AliasRepository aliases,
      VersionService versionService,
      VersionUploads uploads,
      AliasService aliasService) {
    this.models = models;
    this.versions = versions;
    this.aliases = aliases;
    this.versionService = versionService;
    this.uploads = uploads;
    this.aliasService = aliasService;
  }

  /**
   * Serving's automatic roll-back: moves {@code alias} from a version whose engine keeps crashing
   * back to the version it pointed at before (if it still points at the crashing one), recorded in
   * the audit trail as {@code alias.rollback} by {@code modelhub-serving}. Every node follows, as
   * for any move, until someone promotes again.
   *
   * @return the version now pointed at, or empty when there was nothing to go back to
   */
  public Optional<Integer> rollBackCrashing(
      String model, String alias, int crashingVersion, String reason) {
    return aliasService.rollBack(
        model, alias, crashingVersion, reason, Caller.system("modelhub-serving"));
  }

  /** A version of a model, if both exist. */
  public Optional<VersionRef> version(String model, int version) {
    return versionService.ref(model, version);
  }

  /** The newest READY version of a model, if any. */
  public Optional<VersionRef> latestVersion(String model) {
    return versionService.latest(model);
  }

  /** The database id of a model, for features that keep rows about it. */
  @Transactional(readOnly = true)
  public Optional<Long> modelId(String model) {
    return models.findByName(model).map(ModelEntity::id);
  }

  /**
   * Registers an ONNX file made by a job as a new version of {@code model}, with its parent,
   * lineage and report. A job that already registered its variant gets the same version back, so a
   * job that ran twice still makes one variant.
   */
  public VersionView registerVariant(
      String model, Path artifact, String filename, Derivation derivation, String actor) {
    StagedArtifact staged;
    try (InputStream in = Files.newInputStream(artifact)) {
      staged = uploads.stage(in, -1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read variant " + artifact, e);
    }
    try {
      // A variant takes the signature of its parent, and so its batching and pipeline too.
      Optional<VersionEntity> parent =
          modelId(model)
              .flatMap(id -> versions.findByModelIdAndVersion(id, derivation.parentVersion()));
      BatchingPolicy batching = parent.map(VersionEntity::batching).orElse(null);
      Pipeline pipeline = parent.map(VersionEntity::pipeline).orElse(null);
      return uploads.complete(
          model,
          staged,
          filename,
          null,
          new Requests.VersionMetadata(null, null, null, null, batching, pipeline),
          Caller.system(actor),
          derivation);
    } catch (DataIntegrityViolationException concurrentDuplicate) {
      // Another run of the same job committed first: its variant is the one.
      return versions
          .findByProducedByJobId(derivation.jobId())
          .map(v -> versionService.get(model, v.version()))
          .orElseThrow(() -> concurrentDuplicate);
    }
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
                  v.formatDetails(),
                  v.hasWarmup(),
                  v.batching(),
                  v.pipeline());
            })
        .toList();
  }

  /**
   * The warm-up samples uploaded with {@code model} v{@code version} (a v2 inference request body),
   * read when a node loads it — not with every alias target, as they may be large.
   */
  @Transactional(readOnly = true)
  public Optional<JsonNode> warmupSamples(String model, int version) {
    return modelId(model)
        .flatMap(id -> versions.findByModelIdAndVersion(id, version))
        .map(VersionEntity::warmup);
  }
}
