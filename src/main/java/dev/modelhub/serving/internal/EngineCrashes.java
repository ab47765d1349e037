package dev.modelhub.serving.internal;

import dev.modelhub.common.ClientMessages;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.serving.ServingProperties;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when an engine host ends on its own: the crash is counted ({@code
 * modelhub_engine_crashes_total}) and shown on the slots serving the version; a version that
 * crashes {@code crash-limit} times within {@code crash-window} is marked CRASHING, and each alias
 * serving it is moved back to the version it pointed at before (an audited {@code alias.rollback}),
 * which every node then follows.
 */
public final class EngineCrashes implements ModelLoader.Crashes {

  private static final Logger log = LoggerFactory.getLogger(EngineCrashes.class);

  private final ServedSlots slots;
  private final ServingMetrics metrics;
  private final RegistryService registry;
  private final ServingProperties.Host settings;
  private final Clock clock;

  public EngineCrashes(
      ServedSlots slots,
      ServingMetrics metrics,
      RegistryService registry,
      ServingProperties.Host settings,
      Clock clock) {
    this.slots = slots;
    this.metrics = metrics;
    this.registry = registry;
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public void crashed(VersionKey key, String reason, int crashesInWindow) {
    metrics.engineCrashed(key.model(), key.version());
    boolean crashing = crashesInWindow >= settings.crashLimit();
    String error =
        ClientMessages.scrub(
            "v"
                + key.version()
                + "'s engine stopped ("
                + reason
                + ")"
                + (crashing
                    ? "; " + crashesInWindow + " crashes within " + settings.crashWindow()
                    : "; restarting"));
    for (Slot slot : slots.all()) {
      LoadedVersion serving = slot.current;
      if (!slot.model.equals(key.model())
          || serving == null
          || serving.version() != key.version()) {
        continue;
      }
      slot.engineCrashes++;
      slot.lastError = error;
      slot.lastErrorAt = clock.instant();
      if (crashing) {
        slot.crashingVersion = key.version();
        rollBack(slot, key, reason, crashesInWindow);
      }
    }
  }

  private void rollBack(Slot slot, VersionKey key, String reason, int crashes) {
    try {
      registry
          .rollBackCrashing(
              key.model(),
              slot.alias,
              key.version(),
              "its engine crashed " + crashes + " times (last: " + reason + ")")
          .ifPresentOrElse(
              previous ->
                  log.warn(
                      "{}@{}: v{} is CRASHING; rolled back to v{}",
                      key.model(),
                      slot.alias,
                      key.version(),
                      previous),
              () ->
                  log.warn(
                      "{}@{}: v{} is CRASHING and there is no earlier version to go back to;"
                          + " its host keeps being restarted",
                      key.model(),
                      slot.alias,
                      key.version()));
    } catch (RuntimeException e) {
      log.warn("{}@{}: roll-back failed: {}", key.model(), slot.alias, e.toString());
    }
  }
}
