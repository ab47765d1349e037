package dev.modelhub.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The README's table of {@code modelhub.*} settings is generated from the configuration metadata
 * the build writes from the property records' Javadoc, so names, defaults and meanings have one
 * source. When they differ, the test writes the table the README should hold to {@code
 * target/configuration-table.md}; {@code -Dreadme.update=true} writes it into the README instead.
 */
class ConfigurationReferenceTest {

  private static final Path README = Path.of("README.md");
  private static final String START = "<!-- configuration:start (generated) -->";
  private static final String END = "<!-- configuration:end -->";

  @Test
  void readme_table_is_the_configuration_metadata() throws IOException {
    String table = table(metadata());
    String readme = Files.readString(README);
    int start = readme.indexOf(START);
    int end = readme.indexOf(END);
    assertThat(start).as("README marker " + START).isNotNegative();
    assertThat(end).as("README marker " + END).isGreaterThan(start);
    String current = readme.substring(start + START.length(), end);

    if (!current.equals(table)) {
      if (Boolean.getBoolean("readme.update")) {
        Files.writeString(
            README, readme.substring(0, start + START.length()) + table + readme.substring(end));
        return;
      }
      Files.writeString(Path.of("target", "configuration-table.md"), table);
    }
    assertThat(current)
        .as(
            "README's configuration table differs from the metadata; see"
                + " target/configuration-table.md or run with -Dreadme.update=true")
        .isEqualTo(table);
  }

  private static JsonNode metadata() throws IOException {
    try (InputStream in =
        ConfigurationReferenceTest.class.getResourceAsStream(
            "/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("configuration metadata (spring-boot-configuration-processor)").isNotNull();
      return JsonMapper.builder().build().readTree(in);
    }
  }

  static String table(JsonNode metadata) {
    List<String> rows = new ArrayList<>();
    for (JsonNode property : metadata.get("properties")) {
      String name = property.get("name").asString();
      if (!name.startsWith("modelhub.")) {
        continue;
      }
      assertThat(property.has("description")).as(name + " has no Javadoc").isTrue();
      rows.add(
          "| `"
              + name
              + "` | "
              + defaultValue(property.get("defaultValue"))
              + " | "
              + description(property.get("description").asString())
              + " |");
    }
    return rows.stream()
        .sorted()
        .collect(
            Collectors.joining("\n", "\n| property | default | meaning |\n|---|---|---|\n", "\n"));
  }

  private static String defaultValue(JsonNode value) {
    if (value == null || value.isNull()) {
      return "";
    }
    String text =
        value.isArray()
            ? value.valueStream().map(JsonNode::asString).collect(Collectors.joining(","))
            : value.asString();
    if (text.startsWith("[") && text.endsWith("]")) {
      text = text.substring(1, text.length() - 1).replace(", ", ",");
    }
    return text.isEmpty() ? "" : "`" + text + "`";
  }

  /** Javadoc to Markdown: {@code x} and {@link x} become code, and pipes are escaped. */
  private static String description(String javadoc) {
    String text =
        javadoc
            .replaceAll("\\{@(?:code|link|literal) ((?:[^{}]|\\{[^{}]*})*)}", "`$1`")
            .replaceAll("\\s+", " ")
            .replace("|", "\\|")
            .trim();
    if (text.endsWith(".")) {
      text = text.substring(0, text.length() - 1);
    }
    return text;
  }
}
