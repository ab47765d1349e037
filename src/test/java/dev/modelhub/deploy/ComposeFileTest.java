package dev.modelhub.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.common.NodeRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code docker-compose.yml}, checked without a Docker engine (there is none where this is built):
 * it parses, runs the three roles as separate services, and refers only to roles, settings,
 * variables, files and images that exist.
 */
class ComposeFileTest {

  private static final Path COMPOSE = Path.of("docker-compose.yml");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+)(?:[:?\\-][^}]*)?}");

  @Test
  @SuppressWarnings("unchecked")
  void the_three_roles_run_as_services_of_one_locally_built_image() throws IOException {
    Map<String, Object> services = (Map<String, Object>) compose().get("services");
    Map<String, String> roles = new LinkedHashMap<>();
    services.forEach(
        (name, value) -> {
          Map<String, Object> service = (Map<String, Object>) value;
          Map<String, Object> environment =
              (Map<String, Object>) service.getOrDefault("environment", Map.of());
          if (environment.containsKey("MODELHUB_ROLES")) {
            roles.put(name, String.valueOf(environment.get("MODELHUB_ROLES")));
            assertThat(service.get("image")).isEqualTo("modelhub:latest");
            assertThat(service.get("build")).isEqualTo(".");
            assertThat(service.get("read_only")).isEqualTo(true);
            assertThat((List<String>) service.get("cap_drop")).containsExactly("ALL");
            for (String variable : environment.keySet()) {
              if (variable.startsWith("MODELHUB_")) {
                assertThat(SettingNames.exists(variable))
                    .as("%s of %s is a Modelhub setting", variable, name)
                    .isTrue();
              }
            }
          }
        });
    assertThat(roles)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "modelhub-api", "api", "modelhub-serving", "serving", "modelhub-worker", "worker"));
    for (String role : roles.values()) {
      assertThat(NodeRole.valueOf(role.toUpperCase(Locale.ROOT)).label()).isEqualTo(role);
    }
    assertThat(Path.of("Dockerfile")).isRegularFile();
    assertThat(Files.readString(Path.of("Dockerfile"))).contains("USER 10001");
  }

  @Test
  @SuppressWarnings("unchecked")
  void every_other_image_is_pinned_and_every_file_and_dependency_exists() throws IOException {
    Map<String, Object> services = (Map<String, Object>) compose().get("services");
    services.forEach(
        (name, value) -> {
          Map<String, Object> service = (Map<String, Object>) value;
          String image = String.valueOf(service.get("image"));
          if (!service.containsKey("build")) {
            assertThat(image).as(name + "'s image has a pinned tag").matches("[^:]+:[^:]+");
            assertThat(image).as(name).doesNotEndWith(":latest");
          }
          Object dependsOn = service.get("depends_on");
          if (dependsOn instanceof Map<?, ?> dependencies) {
            assertThat(services.keySet()).containsAll((Set<String>) dependencies.keySet());
          }
          for (Object volume : (List<Object>) service.getOrDefault("volumes", List.of())) {
            if (volume instanceof String mount && mount.startsWith("./")) {
              assertThat(Path.of(mount.substring(2, mount.indexOf(':')))).isRegularFile();
            }
          }
        });
  }

  @Test
  void every_variable_it_uses_is_in_env_example() throws IOException {
    Set<String> defined = new HashSet<>();
    for (String line : Files.readAllLines(Path.of(".env.example"))) {
      if (!line.isBlank() && !line.startsWith("#")) {
        defined.add(line.substring(0, line.indexOf('=')));
      }
    }
    Matcher used = VARIABLE.matcher(Files.readString(COMPOSE));
    Set<String> names = new HashSet<>();
    while (used.find()) {
      names.add(used.group(1));
    }
    assertThat(names).isNotEmpty();
    assertThat(defined).containsAll(names);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> compose() throws IOException {
    return (Map<String, Object>)
        new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(COMPOSE));
  }
}
