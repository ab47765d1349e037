package dev.modelhub.serving;

/**
 * The version an inference request names. Open Inference Protocol versions are strings: a version
 * number ({@code 3}), an alias ({@code production}, {@code staging}), or nothing for the default
 * alias.
 *
 * @param number the version number, or null
 * @param alias the alias, or null
 */
public record VersionTarget(Integer number, String alias) {

  /** The version {@code version} names; null or empty is the default alias. */
  public static VersionTarget of(String version) {
    if (version == null || version.isEmpty()) {
      return new VersionTarget(null, null);
    }
    if (version.matches("[0-9]{1,9}")) {
      return new VersionTarget(Integer.valueOf(version), null);
    }
    return new VersionTarget(null, version);
  }
}
