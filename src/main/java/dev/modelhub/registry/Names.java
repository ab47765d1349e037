package dev.modelhub.registry;

import dev.modelhub.common.InvalidRequestException;
import java.util.regex.Pattern;

/** Rules for model and alias names. */
final class Names {

  /** Model and alias names: lowercase letters, digits, '.', '_' and '-', 1–63 characters. */
  static final String PATTERN = "[a-z0-9][a-z0-9._-]{0,62}";

  static final String MESSAGE =
      "must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit";

  private static final Pattern VALID = Pattern.compile(PATTERN);
  private static final Pattern VERSION_LIKE = Pattern.compile("v?[0-9]+");

  private Names() {}

  static void checkModel(String name) {
    if (name == null || !VALID.matcher(name).matches()) {
      throw new InvalidRequestException("Model name '" + name + "' " + MESSAGE + ".");
    }
  }

  /**
   * Aliases follow the model-name rule, and may not look like a version ("3", "v3") or be "latest",
   * which TF Serving and MLflow clients read as something else.
   */
  static void checkAlias(String alias) {
    if (alias == null || !VALID.matcher(alias).matches()) {
      throw new InvalidRequestException("Alias '" + alias + "' " + MESSAGE + ".");
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
