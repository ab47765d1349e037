package dev.modelhub;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

/**
 * Fails the build when one feature reaches into another's internals or features form a cycle, and
 * writes the module documentation (a canvas per module, C4 and UML diagrams) into {@code
 * target/spring-modulith-docs}.
 */
class ModularityTests {

  private final ApplicationModules modules = ApplicationModules.of(ModelhubApplication.class);

  @Test
  void feature_modules_respect_their_boundaries() {
    modules.verify();
  }

  @Test
  void module_documentation_is_written() {
    Path output = Path.of("target", "spring-modulith-docs");
    new Documenter(modules, output.toString()).writeDocumentation();

    for (String module : new String[] {"registry", "serving", "optimize", "security"}) {
      assertThat(output.resolve("module-" + module + ".adoc")).isNotEmptyFile();
    }
    assertThat(Files.exists(output.resolve("components.puml"))).isTrue();
  }
}
