package dev.modelhub.security.internal;

import dev.modelhub.security.AccessProperties;
import dev.modelhub.security.Role;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Makes sure someone can administer a fresh installation. With {@code MODELHUB_ADMIN_KEY} set, that
 * key exists as an admin key (added if it is new; a revoked one stays revoked). Without it, the
 * first node to start on an empty key table generates an admin key and logs it once. Nodes starting
 * together take an advisory lock, so only one of them generates a key.
 */
public class AdminKeyBootstrap {

  private static final Logger log = LoggerFactory.getLogger(AdminKeyBootstrap.class);

  private final ApiKeyStore store;
  private final KeyMaterial material;
  private final AccessProperties properties;
  private final TransactionTemplate transactions;
  private final Clock clock;

  public AdminKeyBootstrap(
      ApiKeyStore store,
      KeyMaterial material,
      AccessProperties properties,
      TransactionTemplate transactions,
      Clock clock) {
    this.store = store;
    this.material = material;
    this.properties = properties;
    this.transactions = transactions;
    this.clock = clock;
  }

  /** Checks the configured key's shape; fails start-up with a message that says what to fix. */
  public void checkConfiguration() {
    String configured = properties.adminKey();
    if (configured != null
        && !configured.isEmpty()
        && (configured.length() < KeyMaterial.MIN_CONFIGURED_LENGTH
            || configured.length() > 200
            || !configured.chars().allMatch(c -> c > 32 && c < 127))) {
      throw new IllegalStateException(
          "MODELHUB_ADMIN_KEY (modelhub.security.admin-key) must be "
              + KeyMaterial.MIN_CONFIGURED_LENGTH
              + " to 200 printable characters without spaces; generate one with"
              + " 'openssl rand -hex 32'.");
    }
  }

  public void run() {
    String configured = properties.adminKey();
    transactions.executeWithoutResult(
        status -> {
          store.lockForBootstrap();
          if (configured != null && !configured.isEmpty()) {
            ensure(configured);
          } else if (store.count() == 0) {
            generate();
          }
        });
  }

  private void ensure(String key) {
    if (store.existsWithHash(KeyMaterial.hash(key))) {
      return;
    }
    String name =
        store.activeNameTaken("admin") ? "admin-" + KeyMaterial.prefix(key).substring(3) : "admin";
    store.insert(name, key, Role.ADMIN, List.of(), null, clock.instant(), "MODELHUB_ADMIN_KEY");
    log.info("Added the admin key from MODELHUB_ADMIN_KEY as '{}'", name);
  }

  private void generate() {
    String key = material.generate();
    store.insert("admin", key, Role.ADMIN, List.of(), null, clock.instant(), "first start");
    String line = "=".repeat(78);
    log.warn(
        "\n{}\n  FIRST START: Modelhub generated an admin API key. It is shown this once and"
            + " stored only as a hash:\n\n      {}\n\n  Use it:   curl -H 'Authorization: Bearer {}'"
            + " http://localhost:8080/api/v1/keys\n  Then create keys for people and pipelines"
            + " (POST /api/v1/keys) and keep this one safe.\n  To choose the admin key yourself,"
            + " set MODELHUB_ADMIN_KEY before the first start.\n{}",
        line,
        key,
        key,
        line);
  }
}
