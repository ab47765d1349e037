package dev.modelhub.security.internal;

import dev.modelhub.security.AccessProperties;
import dev.modelhub.security.Role;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
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
  private static final String CREATED_BY = "MODELHUB_ADMIN_KEY";

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
    if (configured == null || configured.isEmpty()) {
      return;
    }
    String lower = configured.toLowerCase(Locale.ROOT);
    boolean placeholder = lower.contains("change") && lower.contains("me");
    if (!configured.matches(KeyMaterial.CONFIGURED_PATTERN)
        || placeholder
        || configured.chars().distinct().count() < 10) {
      throw new IllegalStateException(
          "MODELHUB_ADMIN_KEY (modelhub.security.admin-key) must be 32 to 200 random characters"
              + " of A-Z a-z 0-9 _ ~ + / = -, not a placeholder; generate one with"
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

  /**
   * Makes sure the configured key exists. A new value is a rotation: the key added from the
   * previous value is revoked in the same transaction.
   */
  private void ensure(String key) {
    if (store.existsWithHash(KeyMaterial.hash(key))) {
      return;
    }
    int revoked = store.revokeCreatedBy(CREATED_BY, clock.instant(), CREATED_BY + " rotation");
    String name =
        store.activeNameTaken("admin") ? "admin-" + KeyMaterial.prefix(key).substring(2) : "admin";
    store.insert(name, key, Role.ADMIN, List.of(), null, clock.instant(), CREATED_BY);
    log.info(
        "Added the admin key from MODELHUB_ADMIN_KEY as '{}'{}",
        name,
        revoked > 0 ? " and revoked the one it replaces" : "");
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
