package dev.modelhub.registry;

import dev.modelhub.common.InvalidRequestException;
import java.util.regex.Pattern;

/** Rules for model and alias names. */
final class Names {

  /** Model and alias names: lowercase letters, digits, '.', '_' and '-', 1–63 characters. */
  static final String PATTERN = "^[a-z0-9][a-z0-9._-]{0,62}$";

  static final String MESSAGE =
      "must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit";

  private static final Pattern VALID = Pattern.compile(PATTERN);
  private static final Pattern VERSION_LIKE = Pattern.compile("v?[0-9]+");

  private Names() {}

  static void checkModel(String name) {
    if (name == null || !VALID.matcher(name).matches()) {
      throw new InvalidRequestException("Model name '" + shown(name) + "' " + MESSAGE + ".");
    }
  }

  /** Longest file name an upload may carry, as most file systems allow. */
  static final int MAX_FILENAME = 255;

  /**
   * Upload file names are kept and sent back in Content-Disposition: at most 255 characters, no
   * control characters, no path separators, not "." or "..". Checked before any byte is stored.
   */
  static void checkFilename(String filename) {
    boolean bad =
        filename.isEmpty()
            || filename.length() > MAX_FILENAME
            || filename.equals(".")
            || filename.equals("..")
            || filename.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '/' || c == '\\');
    if (bad) {
      throw new InvalidRequestException(
          "File name '"
              + shown(filename)
              + "' must be 1-255 characters without control characters or '/' or '\\'.");
    }
  }

  /** A client's string as errors repeat it: at most 80 characters, controls shown as '?'. */
  static String shown(String value) {
    if (value == null) {
      return null;
    }
    String clean =
        value
            .codePoints()
            .map(c -> c < 0x20 || c == 0x7f ? '?' : c)
            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
            .toString();
    return clean.length() <= 80 ? clean : clean.substring(0, 77) + "…";
  }

  /**
   * Aliases follow the model-name rule, and may not look like a version ("3", "v3") or be "latest",
   * which TF Serving and MLflow clients read as something else.
   */
  static void checkAlias(String alias) {
    if (alias == null || !VALID.matcher(alias).matches()) {
      throw new InvalidRequestException("Alias '" + shown(alias) + "' " + MESSAGE + ".");
    }
    if (VERSION_LIKE.matcher(alias).matches() || alias.equals("latest")) {
      throw new InvalidRequestException(
          "Alias '"
              + alias
              + "' is reserved: aliases may not look like a version number or be"
              + " 'latest'.");
    }
  }
}
