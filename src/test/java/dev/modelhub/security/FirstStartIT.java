package dev.modelhub.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api;
import dev.modelhub.support.SecretScan;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestInfrastructure;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * A fresh installation without MODELHUB_ADMIN_KEY: the first node generates an admin key and logs
 * it once, with how to use it; a second node on the same database generates none.
 */
@ExtendWith(OutputCaptureExtension.class)
class FirstStartIT extends ServingTest {

  private static final Pattern GENERATED =
      Pattern.compile("FIRST START: .*?\\n\\s*\\n\\s+(mh_[A-Za-z0-9]{48})\\s*\\n", Pattern.DOTALL);

  @Autowired Environment environment;

  @Test
  void the_first_node_on_an_empty_database_generates_and_logs_an_admin_key(CapturedOutput output) {
    String url = freshDatabase();
    Map<String, String> fresh =
        Map.of(
            "spring.datasource.url", url,
            "modelhub.security.admin-key", "",
            "modelhub.roles", "api");
    try (ConfigurableApplicationContext first = startNode(environment, fresh)) {
      Matcher matcher = GENERATED.matcher(output.getOut());
      assertThat(matcher.find()).as("a marked log line with the key").isTrue();
      String key = matcher.group(1);
      assertThat(output.getOut()).contains("curl -H 'Authorization: Bearer " + key);
      Api admin = new Api(port(first), json).as(key);
      assertThat(admin.get("/api/v1/keys").json().get("totalItems").asInt()).isEqualTo(1);
      assertThat(admin.postJson("/api/v1/keys", Map.of("name", "ci", "role", "deployer")).status())
          .isEqualTo(201);

      int logged = output.getOut().split("FIRST START").length - 1;
      try (ConfigurableApplicationContext second = startNode(environment, fresh)) {
        assertThat(output.getOut().split("FIRST START").length - 1).isEqualTo(logged);
        assertThat(new Api(port(second), json).as(key).get("/api/v1/keys").status()).isEqualTo(200);
      }
    } finally {
      TestInfrastructure.dropDatabase(url, user(), password());
    }
  }

  @Test
  void changing_modelhub_admin_key_rotates_it_and_placeholders_are_refused() {
    String url = freshDatabase();
    String first = "first-" + UUID.randomUUID().toString().replace("-", "");
    String second = "second-" + UUID.randomUUID().toString().replace("-", "");
    SecretScan.register(first);
    SecretScan.register(second);
    try {
      try (ConfigurableApplicationContext node = startNode(environment, configured(url, first))) {
        assertThat(new Api(port(node), json).as(first).get("/api/v1/keys").status()).isEqualTo(200);
      }
      try (ConfigurableApplicationContext node = startNode(environment, configured(url, second))) {
        Api api = new Api(port(node), json);
        assertThat(api.as(second).get("/api/v1/keys").status()).isEqualTo(200);
        assertThat(api.as(first).get("/api/v1/keys").status()).isEqualTo(401);
      }
      for (String bad :
          new String[] {"change-me-to-at-least-32-random-characters", "a.b.c" + "x".repeat(40)}) {
        Assertions.assertThatThrownBy(() -> startNode(environment, configured(url, bad)).close())
            .hasStackTraceContaining("MODELHUB_ADMIN_KEY");
      }
    } finally {
      TestInfrastructure.dropDatabase(url, user(), password());
    }
  }

  private Map<String, String> configured(String url, String key) {
    return Map.of(
        "spring.datasource.url", url, "modelhub.security.admin-key", key, "modelhub.roles", "api");
  }

  private String freshDatabase() {
    return TestInfrastructure.createDatabase(
        environment.getProperty("spring.datasource.url"), user(), password());
  }

  private String user() {
    return environment.getProperty("spring.datasource.username");
  }

  private String password() {
    return environment.getProperty("spring.datasource.password");
  }
}
