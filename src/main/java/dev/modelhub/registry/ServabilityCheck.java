package dev.modelhub.registry;

import java.time.Duration;
import java.util.Optional;

/**
 * Loads a newly registered version in its engine, isolated as serving loads it, to learn at upload
 * whether it can be served. Provided by nodes with the serving role (which have the engines); the
 * registry records the answer on the version and refuses to promote an unservable one unless
 * forced.
 */
public interface ServabilityCheck {

  /**
   * Loads {@code version} (its {@code alias} is null) and unloads it again.
   *
   * @return empty when the engine loads it; else the engine's own message, without host paths
   * @throws RuntimeException when the check itself could not run (storage unreachable, say): the
   *     version is then left unchecked
   */
  Optional<String> problem(AliasTarget version);

  /**
   * The longest a check may take (waiting its turn, fetching, loading): promotion waits that long.
   */
  Duration bound();
}
