package dev.modelhub.registry;

import dev.modelhub.common.PageView;
import dev.modelhub.security.AuditEntry;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.Caller;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Moves and deletes aliases. Every change locks the model row first, so moves of one alias are
 * serialized and each one's history entry starts where the previous one ended.
 */
@Service
public class AliasService {

  private final ModelRepository models;
  private final VersionRepository versions;
  private final AliasRepository aliases;
  private final AliasHistoryRepository history;
  private final ApplicationEventPublisher events;
  private final ServingNotices notices;
  private final AuditLog audit;
  private final Clock clock;

  AliasService(
      ModelRepository models,
      VersionRepository versions,
      AliasRepository aliases,
      AliasHistoryRepository history,
      ApplicationEventPublisher events,
      ServingNotices notices,
      AuditLog audit,
      Clock clock) {
    this.models = models;
    this.versions = versions;
    this.aliases = aliases;
    this.history = history;
    this.events = events;
    this.notices = notices;
    this.audit = audit;
    this.clock = clock;
  }

  /**
   * Points {@code alias} at {@code number}. Pointing it where it already points changes nothing and
   * records nothing, so a pipeline may safely retry. A version whose validation load failed is
   * refused (409 with the engine's message) unless {@code force}.
   */
  @Transactional
  public AliasView move(String modelName, String alias, int number, boolean force, Caller caller) {
    Names.checkAlias(alias);
    ModelEntity model = lock(modelName);
    VersionEntity target =
        versions
            .findByModelIdAndVersion(model.id(), number)
            .orElseThrow(() -> RegistryExceptions.versionNotFound(modelName, number));
    if (target.status() == VersionStatus.ARCHIVED) {
      throw RegistryExceptions.versionArchived(modelName, number);
    }
    if (target.isValidating(clock.instant())) {
      throw RegistryExceptions.versionValidating(modelName, number);
    }
    boolean unservable = Boolean.FALSE.equals(target.servable());
    if (unservable && !force) {
      throw RegistryExceptions.versionUnservable(modelName, number, target.servableMessage());
    }
    Optional<AliasEntity> current = aliases.findByModelIdAndAlias(model.id(), alias);
    AuditEntry entry = AuditEntry.of("alias.move").withModel(modelName).withAlias(alias);
    if (current.isPresent() && current.get().versionId().equals(target.id())) {
      audit.record(
          caller, entry.withVersion(number).withDetail("already at v" + number + "; no change"));
      return view(modelName, current.get(), target);
    }
    Integer from = current.map(a -> versionNumber(a.versionId())).orElse(null);
    return moveTo(
        model,
        current,
        target,
        caller,
        entry
            .withVersion(number)
            .withDetail(
                (from == null ? "new" : "v" + from)
                    + " → v"
                    + number
                    + (unservable ? " (forced: not servable)" : "")));
  }

  /**
   * Moves {@code alias} back to the version it pointed at before its last move, if it still points
   * at {@code expected} (what the person asking saw), all under the model's lock: a roll-back never
   * undoes a move someone made meanwhile.
   *
   * @return the alias after the move; empty when it has moved since or has nothing to go back to
   */
  @Transactional
  public Optional<AliasView> rollBackFrom(
      String modelName, String alias, int expected, Caller caller) {
    lock(modelName);
    AliasView current = get(modelName, alias);
    if (current.version() != expected || current.previousVersion() == null) {
      return Optional.empty();
    }
    // It served before: going back is never refused for what its validation said.
    return Optional.of(move(modelName, alias, current.previousVersion(), true, caller));
  }

  /**
   * Moves {@code alias} back from a version whose engine keeps crashing to the version it pointed
   * at before, if it still points at the crashing one and that version is still there: an automatic
   * roll-back, recorded as {@code alias.rollback} by the serving node.
   *
   * @return the version the alias points at now, or empty when nothing was moved
   */
  @Transactional
  Optional<Integer> rollBack(
      String modelName, String alias, int crashing, String reason, Caller caller) {
    ModelEntity model = lock(modelName);
    Optional<AliasEntity> current = aliases.findByModelIdAndAlias(model.id(), alias);
    if (current.isEmpty() || versionNumber(current.get().versionId()) != crashing) {
      return Optional.empty();
    }
    // Only a move a person or pipeline made is undone: after a roll-back, a crash of the version
    // rolled back to must not send the alias back to the one that crashed before.
    Integer previous =
        history
            .findFirstByModelIdAndAliasOrderByIdDesc(model.id(), alias)
            .filter(move -> Integer.valueOf(crashing).equals(move.toVersion()))
            .filter(move -> !caller.name().equals(move.movedBy()))
            .map(AliasHistoryEntity::fromVersion)
            .orElse(null);
    if (previous == null) {
      return Optional.empty();
    }
    Optional<VersionEntity> target =
        versions
            .findByModelIdAndVersion(model.id(), previous)
            .filter(v -> v.status() != VersionStatus.ARCHIVED);
    if (target.isEmpty()) {
      return Optional.empty();
    }
    moveTo(
        model,
        current,
        target.get(),
        caller,
        AuditEntry.of("alias.rollback")
            .withModel(modelName)
            .withAlias(alias)
            .withVersion(previous)
            .withDetail("v" + crashing + " → v" + previous + ": " + reason));
    return Optional.of(previous);
  }

  private AliasView moveTo(
      ModelEntity model,
      Optional<AliasEntity> current,
      VersionEntity target,
      Caller caller,
      AuditEntry entry) {
    String actor = caller.name();
    String alias = entry.alias();
    int number = target.version();
    Instant now = clock.instant();
    Integer from = current.map(a -> versionNumber(a.versionId())).orElse(null);
    long event = audit.record(caller, entry);
    AliasEntity entity =
        current.orElseGet(() -> new AliasEntity(model.id(), alias, target.id(), now, actor));
    entity.moveTo(target.id(), now, actor);
    aliases.save(entity);
    history.save(new AliasHistoryEntity(model.id(), alias, from, number, now, actor, event));
    notifyOtherNodes(model.name());
    events.publishEvent(new AliasMoved(model.name(), alias, from, number, now, actor));
    return view(model.name(), entity, target);
  }

  @Transactional
  void delete(String modelName, String alias, Caller caller) {
    String actor = caller.name();
    ModelEntity model = lock(modelName);
    AliasEntity entity =
        aliases
            .findByModelIdAndAlias(model.id(), alias)
            .orElseThrow(() -> RegistryExceptions.aliasNotFound(modelName, alias));
    int from = versionNumber(entity.versionId());
    Instant now = clock.instant();
    aliases.delete(entity);
    long event =
        audit.record(
            caller,
            AuditEntry.of("alias.delete")
                .withModel(modelName)
                .withAlias(alias)
                .withVersion(from)
                .withDetail("v" + from + " → none"));
    history.save(new AliasHistoryEntity(model.id(), alias, from, null, now, actor, event));
    notifyOtherNodes(modelName);
    events.publishEvent(new AliasRemoved(modelName, alias, from, now, actor));
  }

  @Transactional(readOnly = true)
  public List<AliasView> list(String modelName) {
    ModelEntity model = find(modelName);
    return aliases.findByModelIdOrderByAlias(model.id()).stream()
        .map(a -> view(modelName, a, versions.findById(a.versionId()).orElseThrow()))
        .toList();
  }

  @Transactional(readOnly = true)
  public AliasView get(String modelName, String alias) {
    ModelEntity model = find(modelName);
    AliasEntity entity =
        aliases
            .findByModelIdAndAlias(model.id(), alias)
            .orElseThrow(() -> RegistryExceptions.aliasNotFound(modelName, alias));
    return view(modelName, entity, versions.findById(entity.versionId()).orElseThrow());
  }

  /** Every move of an alias, newest first; kept after the alias is deleted. */
  @Transactional(readOnly = true)
  public PageView<AliasMove> history(String modelName, String alias, int page, int size) {
    ModelEntity model = find(modelName);
    Page<AliasHistoryEntity> moves =
        history.findByModelIdAndAlias(
            model.id(), alias, PageRequest.of(page, size, Sort.by(Sort.Direction.DESC, "id")));
    if (moves.getTotalElements() == 0) {
      throw RegistryExceptions.aliasNotFound(modelName, alias);
    }
    return PageView.of(moves, list -> list.stream().map(AliasHistoryEntity::toView).toList());
  }

  private void notifyOtherNodes(String modelName) {
    notices.changed(modelName);
  }

  private ModelEntity lock(String name) {
    return models.lockByName(name).orElseThrow(() -> RegistryExceptions.modelNotFound(name));
  }

  private ModelEntity find(String name) {
    return models.findByName(name).orElseThrow(() -> RegistryExceptions.modelNotFound(name));
  }

  private int versionNumber(Long versionId) {
    return versions.findById(versionId).orElseThrow().version();
  }

  private AliasView view(String model, AliasEntity alias, VersionEntity version) {
    Integer previous =
        history
            .findFirstByModelIdAndAliasOrderByIdDesc(alias.modelId(), alias.alias())
            .map(AliasHistoryEntity::fromVersion)
            .orElse(null);
    return new AliasView(
        model,
        alias.alias(),
        version.version(),
        version.digest(),
        previous,
        alias.updatedAt(),
        alias.updatedBy());
  }
}
