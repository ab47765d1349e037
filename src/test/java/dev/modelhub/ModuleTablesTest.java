package dev.modelhub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Modules meet only through each other's services and events, never through each other's tables —
 * which Modulith's verification cannot see. Each module's migrations live in {@code
 * db/migration/<module>}; the tables they create are its own. This fails when a migration, or SQL
 * in a module's code, names a table another module owns.
 */
class ModuleTablesTest {

  private static final Path MIGRATIONS = Path.of("db/migration");
  private static final Path SOURCES = Path.of("src/main/java/dev/modelhub");

  /**
   * Statements from before each module owned its tables, kept because applied migrations cannot
   * change; each is undone by the later migration named with it.
   */
  private static final Map<String, String> UNDONE_LATER =
      Map.of(
          "optimize/V2__jobs.sql: references model",
          "optimize/V6__datasets_typed_and_unlinked.sql",
          "optimize/V2__jobs.sql: on model_version",
          "registry/V5__registry_owns_the_job_link.sql");

  /** A table named where SQL names tables: after from, join, into, update, on, references… */
  private static final Pattern TABLE_USE =
      Pattern.compile(
          "\\b(from|join|into|update|references|table|on)\\s+(?:if\\s+(?:not\\s+)?exists\\s+)?"
              + "([a-z_][a-z0-9_]*)",
          Pattern.CASE_INSENSITIVE);

  private static final Pattern CREATE_TABLE =
      Pattern.compile("create\\s+table\\s+([a-z_][a-z0-9_]*)", Pattern.CASE_INSENSITIVE);

  /** Java string literals, with literals joined by + read as one. */
  private static final Pattern LITERAL = Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"");

  @Test
  void no_module_names_another_modules_tables() throws IOException {
    Map<String, String> owners = owners();
    assertThat(owners)
        .as("each module's tables")
        .containsKeys("model", "model_version", "job", "dataset", "api_key", "audit_event");
    List<String> crossings = new ArrayList<>();
    Set<String> undone = new TreeSet<>();
    for (Path file : files(MIGRATIONS, ".sql")) {
      String module = MIGRATIONS.relativize(file).getName(0).toString();
      String where = MIGRATIONS.relativize(file).toString();
      for (String[] use : tableUses(withoutSqlComments(Files.readString(file)))) {
        String owner = owners.get(use[1]);
        if (owner != null && !owner.equals(module)) {
          String key = where + ": " + use[0] + " " + use[1];
          String undoneBy = UNDONE_LATER.get(key);
          if (undoneBy == null || !Files.exists(MIGRATIONS.resolve(undoneBy))) {
            crossings.add(key + " (" + owner + "'s table)");
          } else {
            undone.add(key);
          }
        }
      }
    }
    for (Path file : files(SOURCES, ".java")) {
      String module = SOURCES.relativize(file).getName(0).toString();
      for (String sql : sqlLiterals(Files.readString(file))) {
        for (String[] use : tableUses(sql)) {
          String owner = owners.get(use[1]);
          if (owner != null && !owner.equals(module)) {
            crossings.add(
                SOURCES.relativize(file)
                    + ": "
                    + use[0]
                    + " "
                    + use[1]
                    + " ("
                    + owner
                    + "'s table)");
          }
        }
      }
    }
    assertThat(crossings).as("SQL naming another module's tables").isEmpty();
    assertThat(undone)
        .as("historical crossings, each undone later")
        .isEqualTo(UNDONE_LATER.keySet());
  }

  @Test
  void the_scan_sees_a_crossing() {
    assertThat(tableUses("select d.* from dataset d join model m on m.id = d.model_id"))
        .extracting(use -> use[1])
        .contains("dataset", "model");
    assertThat(sqlLiterals("String q = \"select * from job \"\n    + \"join model_version v\";"))
        .containsExactly("select * from job join model_version v");
  }

  /** Table → the module whose migrations create it. */
  private static Map<String, String> owners() throws IOException {
    Map<String, String> owners = new TreeMap<>();
    for (Path file : files(MIGRATIONS, ".sql")) {
      String module = MIGRATIONS.relativize(file).getName(0).toString();
      Matcher created = CREATE_TABLE.matcher(withoutSqlComments(Files.readString(file)));
      while (created.find()) {
        String previous = owners.put(created.group(1).toLowerCase(Locale.ROOT), module);
        assertThat(previous).as("table " + created.group(1) + " created twice").isNull();
      }
    }
    return owners;
  }

  private static List<String[]> tableUses(String sql) {
    List<String[]> uses = new ArrayList<>();
    Matcher matcher = TABLE_USE.matcher(sql);
    while (matcher.find()) {
      uses.add(
          new String[] {
            matcher.group(1).toLowerCase(Locale.ROOT), matcher.group(2).toLowerCase(Locale.ROOT)
          });
    }
    return uses;
  }

  /** String literals that read as SQL statements. */
  private static List<String> sqlLiterals(String java) {
    String joined = java.replaceAll("\"\\s*\\+\\s*\"", "");
    List<String> sql = new ArrayList<>();
    Matcher literal = LITERAL.matcher(joined);
    Set<String> verbs = Set.of("select", "insert", "update", "delete", "with", "create", "alter");
    while (literal.find()) {
      String text = literal.group(1).strip();
      String first = text.split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
      if (verbs.contains(first)) {
        sql.add(text);
      }
    }
    return sql;
  }

  private static String withoutSqlComments(String sql) {
    return sql.replaceAll("--[^\\n]*", "");
  }

  private static List<Path> files(Path root, String suffix) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
    }
  }
}
