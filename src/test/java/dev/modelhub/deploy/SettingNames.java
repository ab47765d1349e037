package dev.modelhub.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Modelhub's settings as environment variables, from the configuration metadata the build writes: a
 * deployment file that sets {@code MODELHUB_STORAGE_SPOOLDIR} (a typo Spring would ignore) fails
 * the test instead of a pod quietly using the default.
 */
final class SettingNames {

  private static final Set<String> CANONICAL = load();

  private SettingNames() {}

  /** Variables application.yml reads by name ({@code ${MODELHUB_ADMIN_KEY:}}). */
  private static final Set<String> PLACEHOLDERS = placeholders();

  /**
   * Whether a {@code MODELHUB_*} variable binds to a setting (relaxed binding's rules) or is one
   * application.yml reads by name.
   */
  static boolean exists(String variable) {
    return CANONICAL.contains(canonical(variable)) || PLACEHOLDERS.contains(variable);
  }

  private static Set<String> placeholders() {
    try (InputStream in = SettingNames.class.getResourceAsStream("/application.yml")) {
      Matcher matcher =
          Pattern.compile("\\$\\{([A-Z0-9_]+)[:}]")
              .matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      Set<String> names = new HashSet<>();
      while (matcher.find()) {
        names.add(matcher.group(1));
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String canonical(String name) {
    return name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "");
  }

  private static Set<String> load() {
    try (InputStream in =
        SettingNames.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      JsonNode metadata = JsonMapper.builder().build().readTree(in);
      Set<String> names = new HashSet<>();
      for (JsonNode property : metadata.get("properties")) {
        String name = property.get("name").asString();
        if (name.startsWith("modelhub.")) {
          names.add(canonical(name));
        }
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
