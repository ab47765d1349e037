package dev.modelhub.optimize;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a dataset is written. */
public enum DatasetFormat {
  /** A header row, numeric input columns, an optional integer {@code label} column. */
  CSV,
  /**
   * NumPy's {@code savez}: one array per model input, named like it, samples along the first
   * dimension; an optional integer array {@code label}.
   */
  NPZ;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
