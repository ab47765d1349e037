package dev.modelhub.registry;

import dev.modelhub.artifact.Digest;
import dev.modelhub.common.NotFoundException;
import dev.modelhub.common.PageView;
import dev.modelhub.format.ArtifactInspection;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.Pipeline;
import dev.modelhub.security.AuditEntry;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.Caller;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.JsonNode;

/** Commits, lists, changes and archives versions. */
@Service
public class VersionService {

  private final VersionRepository versions;
  private final ModelRepository models;
  private final Views views;
  private final AliasRepository aliases;
  private final Clock clock;
  private final AuditLog audit;
  private final PipelineRules pipelines;
  private final ServingNotices notices;

  VersionService(
      VersionRepository versions,
      ModelRepository models,
      Views views,
      AliasRepository aliases,
      Clock clock,
      AuditLog audit,
      PipelineRules pipelines,
      ServingNotices notices) {
    this.pipelines = pipelines;
    this.notices = notices;
    this.versions = versions;
    this.models = models;
    this.views = views;
    this.aliases = aliases;
    this.clock = clock;
    this.audit = audit;
  }

  /**
   * Commits a version whose blob is already stored, creating the model if absent. The model row is
   * locked while the number is handed out, so concurrent commits get consecutive numbers.
   */
  @Transactional
  VersionView create(
      String modelName,
      Digest digest,
      long sizeBytes,
      String filename,
      ArtifactInspection inspection,
      Requests.VersionMetadata metadata,
      Caller caller,
      Derivation derivation,
      Duration validationBound) {
    Instant now = clock.instant();
    boolean newModel = models.insertIfAbsent(modelName, now, caller.name()) == 1;
    ModelEntity model = models.lockByName(modelName).orElseThrow();
    if (derivation != null) {
      // A job whose variant is registered already (it ran twice) gets that variant back.
      var existing = versions.findByProducedByJobId(derivation.jobId());
      if (existing.isPresent()) {
        return views.version(modelName, existing.get(), aliasNames(existing.get()));
      }
    }
    int number = model.nextVersion(now);
    VersionEntity entity =
        new VersionEntity(
            model.id(),
            number,
            inspection,
            digest.toString(),
            sizeBytes,
            filename,
            metadata,
            now,
            caller.name());
    if (derivation != null) {
      entity.derivedFrom(version(model, derivation.parentVersion()).id(), derivation);
    }
    if (validationBound != null) {
      entity.validating(now.plus(validationBound));
    }
    VersionEntity version = versions.save(entity);
    audit.record(
        caller,
        AuditEntry.of("version.create")
            .withModel(modelName)
            .withVersion(number)
            .withJob(derivation == null ? null : derivation.jobId())
            .withDetail(
                inspection.format().id()
                    + " "
                    + digest
                    + (newModel ? "; model created" : "")
                    + (derivation == null
                        ? ""
                        : "; variant of v"
                            + derivation.parentVersion()
                            + " by job "
                            + derivation.jobId())));
    return views.version(modelName, version, List.of());
  }

  @Transactional(readOnly = true)
  public PageView<VersionView> list(String modelName, int page, int size) {
    ModelEntity model = find(modelName);
    return PageView.of(
        versions.findByModelId(
            model.id(), PageRequest.of(page, size, Sort.by(Sort.Direction.DESC, "version"))),
        page1 -> views(modelName, page1));
  }

  /** Views of a page of versions with two queries (aliases, parents), not two per version. */
  private List<VersionView> views(String modelName, List<VersionEntity> page) {
    List<Long> ids = page.stream().map(VersionEntity::id).toList();
    Map<Long, List<String>> aliasNames =
        ids.isEmpty()
            ? Map.of()
            : aliases.findByVersionIdInOrderByAlias(ids).stream()
                .collect(
                    Collectors.groupingBy(
                        AliasEntity::versionId,
                        Collectors.mapping(AliasEntity::alias, Collectors.toList())));
    Set<Long> parentIds =
        page.stream()
            .map(VersionEntity::parentVersionId)
            .filter(Objects::nonNull)
            .collect(Collectors.toSet());
    Map<Long, Integer> parents =
        parentIds.isEmpty()
            ? Map.of()
            : versions.findByIdIn(parentIds).stream()
                .collect(Collectors.toMap(VersionEntity::id, VersionEntity::version));
    return page.stream()
        .map(
            v ->
                views.version(
                    modelName,
                    v,
                    aliasNames.getOrDefault(v.id(), List.of()),
                    v.parentVersionId() == null ? null : parents.get(v.parentVersionId())))
        .toList();
  }

  /**
   * Records the outcome of a version's validation load ({@code problem} null: it loaded; {@code
   * checked} false: the check could not run, and the version stays unchecked).
   */
  @Transactional
  VersionView validated(String modelName, int number, boolean checked, String problem) {
    ModelEntity model = find(modelName);
    VersionEntity version = version(model, number);
    if (checked) {
      version.validated(problem, clock.instant());
    } else {
      version.unchecked();
    }
    return view(modelName, version);
  }

  @Transactional(readOnly = true)
  public VersionView get(String modelName, int number) {
    ModelEntity model = find(modelName);
    return view(modelName, version(model, number));
  }

  @Transactional
  public VersionView update(String modelName, int number, Requests.Update request, Caller caller) {
    ModelEntity model = find(modelName);
    VersionEntity version = version(model, number);
    version.update(request.description(), request.tags(), clock.instant());
    audit.record(caller, AuditEntry.of("version.update").withModel(modelName).withVersion(number));
    return view(modelName, version);
  }

  /**
   * Sets (or, with null, removes) a version's pipeline, checked against its signature. Serving
   * nodes that serve the version take the new pipeline at once; requests in flight finish with the
   * one they started with.
   */
  @Transactional
  public VersionView pipeline(String modelName, int number, Pipeline pipeline, Caller caller) {
    ModelEntity model = find(modelName);
    VersionEntity version = version(model, number);
    pipelines.check(pipeline, version.signature());
    version.pipeline(pipeline, clock.instant());
    audit.record(
        caller,
        AuditEntry.of(pipeline == null ? "version.pipeline.remove" : "version.pipeline.set")
            .withModel(modelName)
            .withVersion(number));
    notices.changed(modelName);
    return view(modelName, version);
  }

  /** Archives a version, refused while an alias points at it. */
  @Transactional
  VersionView archive(String modelName, int number, Caller caller) {
    ModelEntity model =
        models.lockByName(modelName).orElseThrow(() -> RegistryExceptions.modelNotFound(modelName));
    VersionEntity version = version(model, number);
    List<String> pointing = aliasNames(version);
    if (!pointing.isEmpty()) {
      throw RegistryExceptions.versionHasAliases(modelName, number, pointing);
    }
    version.archive(clock.instant());
    audit.record(caller, AuditEntry.of("version.archive").withModel(modelName).withVersion(number));
    return view(modelName, version);
  }

  /** A version as other features see it. */
  @Transactional(readOnly = true)
  Optional<VersionRef> ref(String modelName, int number) {
    return models
        .findByName(modelName)
        .flatMap(m -> versions.findByModelIdAndVersion(m.id(), number))
        .map(v -> toRef(modelName, v));
  }

  /** The newest READY version of a model. */
  @Transactional(readOnly = true)
  Optional<VersionRef> latest(String modelName) {
    return models
        .findByName(modelName)
        .flatMap(m -> versions.findLatestReady(List.of(m.id())).stream().findFirst())
        .map(v -> toRef(modelName, v));
  }

  /** The report of a version produced by a job. */
  @Transactional(readOnly = true)
  JsonNode report(String modelName, int number) {
    VersionEntity version = version(find(modelName), number);
    if (version.report() == null) {
      throw new NotFoundException(
          "report-not-found",
          "Report not found",
          "Version "
              + number
              + " of '"
              + modelName
              + "' has no report: it was uploaded, not produced by an optimization job.");
    }
    return version.report();
  }

  private static VersionRef toRef(String model, VersionEntity v) {
    return new VersionRef(
        model,
        v.version(),
        v.digest(),
        v.sizeBytes(),
        ModelFormat.fromId(v.format()).orElseThrow(),
        v.signature(),
        v.parameterCount(),
        v.formatDetails(),
        v.status());
  }

  /** The stored version, for downloads. */
  @Transactional(readOnly = true)
  VersionEntity entity(String modelName, int number) {
    return version(find(modelName), number);
  }

  private ModelEntity find(String name) {
    return models.findByName(name).orElseThrow(() -> RegistryExceptions.modelNotFound(name));
  }

  private VersionEntity version(ModelEntity model, int number) {
    return versions
        .findByModelIdAndVersion(model.id(), number)
        .orElseThrow(() -> RegistryExceptions.versionNotFound(model.name(), number));
  }

  private VersionView view(String modelName, VersionEntity version) {
    return views.version(modelName, version, aliasNames(version));
  }

  private List<String> aliasNames(VersionEntity version) {
    return aliases.findByVersionIdOrderByAlias(version.id()).stream()
        .map(AliasEntity::alias)
        .toList();
  }
}
