package dev.modelhub.security;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The models a caller may touch: every model, or those whose name matches one of a key's patterns
 * ({@code vision-*}, {@code fraud-scorer}; {@code *} stands for any run of characters).
 *
 * @param patterns the patterns; empty means every model
 */
public record ModelScope(List<String> patterns) {

  /** What a pattern may look like: a model name in which {@code *} may stand for any characters. */
  public static final String PATTERN = "^[a-z0-9*][a-z0-9._*-]{0,62}$";

  /** Every model. */
  public static final ModelScope ALL = new ModelScope(List.of());

  public ModelScope {
    patterns = List.copyOf(patterns);
  }

  /** Whether every model is in scope. */
  public boolean unrestricted() {
    return patterns.isEmpty();
  }

  /** Whether the model named {@code model} is in scope. */
  public boolean allows(String model) {
    return unrestricted() || (model != null && Pattern.matches(regex(), model));
  }

  /**
   * The scope as an anchored regular expression (Java and PostgreSQL {@code ~} read it alike), for
   * filtering lists in SQL.
   */
  public String regex() {
    if (unrestricted()) {
      return "^.*$";
    }
    return patterns.stream()
        .map(ModelScope::globToRegex)
        .collect(Collectors.joining("|", "^(", ")$"));
  }

  private static String globToRegex(String glob) {
    StringBuilder regex = new StringBuilder();
    for (char c : glob.toCharArray()) {
      if (c == '*') {
        regex.append(".*");
      } else if (Character.isLetterOrDigit(c)) {
        regex.append(c);
      } else {
        regex.append('\\').append(c);
      }
    }
    return regex.toString();
  }
}
