package dev.modelhub.serving.internal;

import dev.modelhub.registry.AliasTarget;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.SlotStatus;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The slots of this node, one per served model alias, and the request-side lookup: which loaded
 * version answers a request. Requests read without locks from any thread; the reconciler adds and
 * removes slots.
 */
public class ServedSlots {

  private record SlotKey(String model, String alias) {}

  private final Map<SlotKey, Slot> slots = new ConcurrentHashMap<>();

  /** The slot for {@code target}'s alias, created (wanting {@code target}) if new. */
  Slot slotFor(AliasTarget target) {
    return slots.computeIfAbsent(
        new SlotKey(target.model(), target.alias()), k -> new Slot(k.model(), k.alias(), target));
  }

  /** Forgets a slot the reconciler has emptied. */
  void remove(Slot slot) {
    slots.remove(new SlotKey(slot.model, slot.alias), slot);
  }

  Collection<Slot> all() {
    return List.copyOf(slots.values());
  }

  /**
   * A version to answer with, referenced for one request: the one loaded for {@code version} under
   * any alias, or the one serving {@code alias}. Release it when done.
   *
   * @throws ServingExceptions.NotServed this node does not serve it
   * @throws ServingExceptions.Unavailable it is loading and nothing older answers
   */
  public LoadedVersion acquire(String model, Integer version, String alias) {
    while (true) {
      LoadedVersion found = version != null ? byVersion(model, version) : byAlias(model, alias);
      if (found.tryAcquire()) {
        return found;
      }
      // Swapped out between the read and the acquire: the slot already points at its successor.
      Thread.onSpinWait();
    }
  }

  private LoadedVersion byAlias(String model, String alias) {
    Slot slot = slots.get(new SlotKey(model, alias));
    if (slot == null) {
      throw notServed(
          "Model '" + model + "' has no '" + alias + "' version served on this node.", model);
    }
    LoadedVersion current = slot.current;
    if (current != null) {
      return current;
    }
    if (slot.removed) {
      throw notServed("Model '" + model + "' is no longer served under '" + alias + "'.", model);
    }
    String lastError = slot.lastError;
    throw new ServingExceptions.Unavailable(
        "Model '"
            + model
            + "' v"
            + slot.desired.version()
            + " is loading and no older version is serving"
            + (lastError == null ? "" : " (last attempt failed: " + lastError + ")")
            + "; retry shortly.",
        Duration.ofSeconds(lastError == null ? 1 : 5));
  }

  private LoadedVersion byVersion(String model, int version) {
    for (Slot slot : slots.values()) {
      LoadedVersion current = slot.current;
      if (slot.model.equals(model) && current != null && current.version() == version) {
        return current;
      }
    }
    throw notServed(
        "Model '"
            + model
            + "' version "
            + version
            + " is not served on this node; served versions: "
            + servedVersions(model)
            + ".",
        model);
  }

  private ServingExceptions.NotServed notServed(String message, String model) {
    return new ServingExceptions.NotServed(message, servedVersions(model));
  }

  /** Versions of {@code model} answering requests on this node. */
  public TreeSet<Integer> servedVersions(String model) {
    return slots.values().stream()
        .filter(slot -> slot.model.equals(model))
        .map(slot -> slot.current)
        .filter(current -> current != null)
        .map(LoadedVersion::version)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** What every slot serves, by model and alias. */
  public List<SlotStatus> status() {
    return slots.values().stream()
        .map(Slot::status)
        .sorted(Comparator.comparing(SlotStatus::model).thenComparing(SlotStatus::alias))
        .toList();
  }

  /** Distinct versions answering requests (a version under two aliases counts once). */
  int servedVersionCount() {
    return (int)
        slots.values().stream().map(slot -> slot.current).filter(c -> c != null).distinct().count();
  }
}
