package dev.modelhub.optimize;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where prune-magnitude draws its threshold. */
public enum PruneScope {
  /** One threshold for all weights together. */
  GLOBAL,
  /** A threshold per layer, each pruned to the same sparsity. */
  LAYER;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static PruneScope of(String id) {
    for (PruneScope scope : values()) {
      if (scope.id().equals(id)) {
        return scope;
      }
    }
    throw new IllegalArgumentException("'scope' must be global or layer, not '" + id + "'");
  }
}
