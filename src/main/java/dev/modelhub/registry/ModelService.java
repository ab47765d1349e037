package dev.modelhub.registry;

import dev.modelhub.common.PageView;
import dev.modelhub.security.AuditEntry;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.Caller;
import dev.modelhub.security.ModelScope;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Creates, lists, changes and deletes models. */
@Service
public class ModelService {

  private final ModelRepository models;
  private final VersionRepository versions;
  private final AliasRepository aliases;
  private final Views views;
  private final AuditLog audit;
  private final ApplicationEventPublisher events;
  private final Clock clock;

  ModelService(
      ModelRepository models,
      VersionRepository versions,
      AliasRepository aliases,
      Views views,
      AuditLog audit,
      ApplicationEventPublisher events,
      Clock clock) {
    this.models = models;
    this.versions = versions;
    this.aliases = aliases;
    this.views = views;
    this.audit = audit;
    this.events = events;
    this.clock = clock;
  }

  @Transactional
  ModelView create(Requests.CreateModel request, Caller caller) {
    Instant now = clock.instant();
    if (models.insertIfAbsent(request.name(), now, caller.name()) == 0) {
      throw RegistryExceptions.modelExists(request.name());
    }
    ModelEntity model = models.lockByName(request.name()).orElseThrow();
    model.update(request.description(), request.tags(), now);
    audit.record(caller, AuditEntry.of("model.create").withModel(request.name()));
    return view(model);
  }

  @Transactional(readOnly = true)
  public PageView<ModelView> list(String query, ModelScope scope, int page, int size) {
    Page<ModelEntity> found =
        models.search(
            query == null ? "" : query.strip(),
            scope.regex(),
            PageRequest.of(page, size, Sort.by("name")));
    return PageView.of(found, this::views);
  }

  @Transactional(readOnly = true)
  public ModelView get(String name) {
    return view(find(name));
  }

  @Transactional
  public ModelView update(String name, Requests.Update request, Caller caller) {
    ModelEntity model =
        models.lockByName(name).orElseThrow(() -> RegistryExceptions.modelNotFound(name));
    model.update(request.description(), request.tags(), clock.instant());
    audit.record(caller, AuditEntry.of("model.update").withModel(name));
    return view(model);
  }

  @Transactional
  void delete(String name, Caller caller) {
    ModelEntity model =
        models.lockByName(name).orElseThrow(() -> RegistryExceptions.modelNotFound(name));
    List<String> pointing =
        aliases.findByModelIdOrderByAlias(model.id()).stream().map(AliasEntity::alias).toList();
    if (!pointing.isEmpty()) {
      throw RegistryExceptions.modelHasAliases(name, pointing);
    }
    // Versions and history go with the model (ON DELETE CASCADE). Blobs stay: other versions
    // may share them, and unreferenced blobs are object-storage garbage, not lost data.
    models.delete(model);
    audit.record(caller, AuditEntry.of("model.delete").withModel(name));
    // Within this transaction: what other modules keep for the model goes with it, or nothing does.
    events.publishEvent(new ModelDeleted(name, model.id()));
  }

  ModelEntity find(String name) {
    return models.findByName(name).orElseThrow(() -> RegistryExceptions.modelNotFound(name));
  }

  private ModelView view(ModelEntity model) {
    return views(List.of(model)).get(0);
  }

  /** Builds views for a page of models with two queries, not two per model. */
  private List<ModelView> views(List<ModelEntity> page) {
    Collection<Long> ids = page.stream().map(ModelEntity::id).toList();
    if (ids.isEmpty()) {
      return List.of();
    }
    List<AliasEntity> allAliases = versionsAliases(ids);
    Map<Long, VersionEntity> latest =
        versions.findLatestReady(ids).stream()
            .collect(Collectors.toMap(VersionEntity::modelId, Function.identity()));
    Map<Long, VersionEntity> aliased =
        versions.findByIdIn(allAliases.stream().map(AliasEntity::versionId).toList()).stream()
            .collect(Collectors.toMap(VersionEntity::id, Function.identity()));
    return page.stream()
        .map(
            m -> {
              Map<String, Integer> byAlias = new TreeMap<>();
              allAliases.stream()
                  .filter(a -> a.modelId().equals(m.id()))
                  .forEach(a -> byAlias.put(a.alias(), aliased.get(a.versionId()).version()));
              VersionEntity newest = latest.get(m.id());
              List<String> newestAliases =
                  newest == null
                      ? List.of()
                      : byAlias.entrySet().stream()
                          .filter(e -> e.getValue() == newest.version())
                          .map(Map.Entry::getKey)
                          .toList();
              return views.model(m, byAlias, newest, newestAliases);
            })
        .toList();
  }

  private List<AliasEntity> versionsAliases(Collection<Long> modelIds) {
    return aliases.findByModelIdIn(modelIds);
  }
}
