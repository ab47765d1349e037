package dev.modelhub.optimize.internal;

import dev.modelhub.common.InvalidRequestException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A pass's parameters, checked when the job is submitted: unknown names, wrong types and values out
 * of range are 400s that say what is allowed, never a job that fails later.
 */
public final class PassParams {

  /** Parameters every pass takes. */
  public static final Set<String> COMMON = Set.of("exclude", "dataset", "maxAccuracyDrop");

  private final String pass;
  private final Map<String, Object> raw;
  private final Map<String, Object> normalized = new LinkedHashMap<>();

  public PassParams(String pass, Map<String, Object> raw, Collection<String> known) {
    this.pass = pass;
    this.raw = raw == null ? Map.of() : raw;
    Set<String> allowed = new TreeSet<>(known);
    allowed.addAll(COMMON);
    for (String name : this.raw.keySet()) {
      if (!allowed.contains(name)) {
        throw invalid("unknown parameter '" + name + "'; " + pass + " takes " + allowed);
      }
    }
  }

  public boolean bool(String name, boolean fallback) {
    Object value = raw.get(name);
    if (value == null) {
      return put(name, fallback);
    }
    if (!(value instanceof Boolean b)) {
      throw invalid("'" + name + "' must be true or false");
    }
    return put(name, b);
  }

  public double number(String name, double fallback, double min, double max, boolean minExclusive) {
    Object value = raw.get(name);
    double v;
    if (value == null) {
      v = fallback;
    } else if (value instanceof Number n) {
      v = n.doubleValue();
    } else {
      throw invalid("'" + name + "' must be a number");
    }
    if (Double.isNaN(v) || v > max || v < min || (minExclusive && v == min)) {
      throw invalid(
          "'"
              + name
              + "' must be "
              + (minExclusive ? "> " : "≥ ")
              + min
              + " and ≤ "
              + max
              + ", not "
              + v);
    }
    return put(name, v);
  }

  public Double optionalNumber(String name, double min, double max, boolean minExclusive) {
    return raw.containsKey(name) ? number(name, 0, min, max, minExclusive) : null;
  }

  public int integer(String name, int fallback, int min) {
    Object value = raw.get(name);
    int v;
    if (value == null) {
      v = fallback;
    } else if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      v = n.intValue();
    } else {
      throw invalid("'" + name + "' must be an integer");
    }
    if (v < min) {
      throw invalid("'" + name + "' must be ≥ " + min + ", not " + v);
    }
    return put(name, v);
  }

  public String choice(String name, String fallback, Set<String> choices) {
    Object value = raw.get(name);
    String v = value == null ? fallback : value.toString();
    if (!choices.contains(v)) {
      throw invalid(
          "'" + name + "' must be one of " + new TreeSet<>(choices) + ", not '" + v + "'");
    }
    return put(name, v);
  }

  public List<String> strings(String name, List<String> fallback) {
    Object value = raw.get(name);
    if (value == null) {
      return put(name, List.copyOf(fallback));
    }
    if (!(value instanceof Collection<?> items)) {
      throw invalid("'" + name + "' must be a list of strings");
    }
    List<String> list = new ArrayList<>();
    for (Object item : items) {
      if (!(item instanceof String s) || s.isBlank()) {
        throw invalid("'" + name + "' must be a list of non-empty strings");
      }
      list.add(s);
    }
    return put(name, List.copyOf(list));
  }

  /** The common parameters, checked. */
  public void common() {
    strings("exclude", List.of());
    if (raw.containsKey("maxAccuracyDrop")) {
      number("maxAccuracyDrop", 0, 0, 1, false);
    }
    if (raw.containsKey("dataset")) {
      Object dataset = raw.get("dataset");
      if (!(dataset instanceof String) && !(dataset instanceof Number)) {
        throw invalid("'dataset' must be a dataset's name or id");
      }
      normalized.put("dataset", dataset);
    }
  }

  /** The parameters with defaults filled in, as recorded in the variant's lineage. */
  public Map<String, Object> normalized() {
    return Map.copyOf(normalized);
  }

  private <T> T put(String name, T value) {
    normalized.put(name, value);
    return value;
  }

  private InvalidRequestException invalid(String why) {
    return new InvalidRequestException(
        "invalid-pass-params", "Invalid pass parameters", pass + ": " + why + ".");
  }
}
