package dev.modelhub.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * What integration tests run against, chosen once per test JVM: PostgreSQL and MinIO in
 * Testcontainers when a Docker engine answers; otherwise the local PostgreSQL at 127.0.0.1:5432 (a
 * fresh database per run, dropped when the run ends) and Modelhub's embedded S3 server.
 */
public final class TestInfrastructure {

  static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/";
  static final String PREFIX = "modelhub_test_";

  private static Backend backend;

  private TestInfrastructure() {}

  /** Registers the datasource and storage properties of the chosen backend. */
  public static synchronized void register(DynamicPropertyRegistry registry) {
    if (backend == null) {
      backend = dockerAvailable() ? new Containers() : new LocalPostgres();
    }
    backend.register(registry);
    Path scratch = scratchDir();
    registry.add("modelhub.security.admin-key", TestSecrets::adminKey);
    // The suite makes hundreds of deliberate 401/403s from 127.0.0.1; SecurityIT checks the budget.
    registry.add("modelhub.security.failure-budget", () -> "1000000");
    registry.add(
        "spring.security.oauth2.resourceserver.jwt.public-key-location",
        () -> "file:" + TestSecrets.jwtPublicKey(scratch));
    registry.add("spring.security.oauth2.resourceserver.jwt.audiences", () -> "modelhub");
    registry.add("modelhub.storage.spool-dir", () -> scratch.resolve("spool").toString());
    registry.add("modelhub.storage.embedded.data-dir", () -> scratch.resolve("s3").toString());
    registry.add("modelhub.serving.cache.dir", () -> scratch.resolve("cache").toString());
  }

  /**
   * A new empty database on the server behind {@code jdbcUrl} (for a node that must start on a
   * fresh installation); answers its JDBC URL. Drop it with {@link #dropDatabase}.
   */
  public static String createDatabase(String jdbcUrl, String user, String password) {
    String name =
        PREFIX + System.currentTimeMillis() + "_" + UUID.randomUUID().toString().substring(0, 8);
    onServer(jdbcUrl, user, password, "create database " + name);
    return server(jdbcUrl) + name + "?currentSchema=modelhub";
  }

  public static void dropDatabase(String databaseUrl, String user, String password) {
    String name = databaseUrl.substring(server(databaseUrl).length()).replaceAll("\\?.*", "");
    onServer(databaseUrl, user, password, "drop database if exists " + name + " with (force)");
  }

  private static String server(String jdbcUrl) {
    int slash = jdbcUrl.indexOf('/', "jdbc:postgresql://".length());
    return jdbcUrl.substring(0, slash + 1);
  }

  private static void onServer(String jdbcUrl, String user, String password, String sql) {
    try (Connection c = DriverManager.getConnection(server(jdbcUrl) + "postgres", user, password);
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot run '" + sql + "'", e);
    }
  }

  /** Drops the local test database, if one was made. */
  static synchronized void close() {
    if (backend != null) {
      backend.close();
    }
  }

  private static Path scratchDir;

  /** A fresh folder under the run's scratch folder (for extra nodes' spool and cache). */
  public static synchronized Path newScratchDir(String prefix) {
    try {
      return Files.createTempDirectory(scratchDir(), prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path scratchDir() {
    if (scratchDir == null) {
      try {
        scratchDir = Files.createTempDirectory("modelhub-test-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return scratchDir;
  }

  private static boolean dockerAvailable() {
    if (Boolean.getBoolean("modelhub.test.local")) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private interface Backend {
    void register(DynamicPropertyRegistry registry);

    void close();
  }

  /** A database of its own on the local PostgreSQL. */
  private static final class LocalPostgres implements Backend {
    private final String database;

    LocalPostgres() {
      dropStaleDatabases();
      database =
          PREFIX + System.currentTimeMillis() + "_" + UUID.randomUUID().toString().substring(0, 8);
      admin("create database " + database);
    }

    @Override
    public void register(DynamicPropertyRegistry registry) {
      registry.add("spring.datasource.url", () -> LOCAL_URL + database + "?currentSchema=modelhub");
      registry.add("spring.datasource.username", () -> "postgres");
      // Trust authentication accepts any password: a made-up one lets the run look for it.
      registry.add("spring.datasource.password", TestSecrets::dbPassword);
      registry.add("modelhub.storage.access-key", TestSecrets::s3AccessKey);
      registry.add("modelhub.storage.secret-key", TestSecrets::s3SecretKey);
    }

    @Override
    public void close() {
      admin("drop database if exists " + database + " with (force)");
    }

    /** Removes databases left by runs that were killed before they could drop their own. */
    private static void dropStaleDatabases() {
      long dayAgo = System.currentTimeMillis() - 24L * 3600 * 1000;
      List<String> stale = new ArrayList<>();
      try (Connection c = DriverManager.getConnection(LOCAL_URL + "postgres", "postgres", "");
          var rs =
              c.createStatement()
                  .executeQuery(
                      "select datname from pg_database where datname like '" + PREFIX + "%'")) {
        while (rs.next()) {
          String name = rs.getString(1);
          String[] parts = name.substring(PREFIX.length()).split("_");
          if (parts.length > 0 && parts[0].matches("\\d+") && Long.parseLong(parts[0]) < dayAgo) {
            stale.add(name);
          }
        }
      } catch (SQLException e) {
        throw new IllegalStateException(
            "The local PostgreSQL at 127.0.0.1:5432 (user postgres) is needed for the tests", e);
      }
      stale.forEach(name -> admin("drop database if exists " + name + " with (force)"));
    }

    private static void admin(String sql) {
      try (Connection c = DriverManager.getConnection(LOCAL_URL + "postgres", "postgres", "");
          Statement s = c.createStatement()) {
        s.execute(sql.toLowerCase(Locale.ROOT));
      } catch (SQLException e) {
        throw new IllegalStateException("cannot run '" + sql + "' on the local PostgreSQL", e);
      }
    }
  }

  /** PostgreSQL and MinIO containers, stopped by Testcontainers when the JVM ends. */
  private static final class Containers implements Backend {
    private final PostgreSQLContainer postgres = new PostgreSQLContainer("postgres:16-alpine");
    private final MinIOContainer minio =
        new MinIOContainer("minio/minio:RELEASE.2025-04-22T22-12-26Z");

    Containers() {
      postgres.start();
      minio.start();
    }

    @Override
    public void register(DynamicPropertyRegistry registry) {
      registry.add(
          "spring.datasource.url",
          () -> {
            String url = postgres.getJdbcUrl();
            return url + (url.contains("?") ? "&" : "?") + "currentSchema=modelhub";
          });
      registry.add("spring.datasource.username", postgres::getUsername);
      registry.add("spring.datasource.password", postgres::getPassword);
      registry.add("modelhub.storage.endpoint", minio::getS3URL);
      registry.add("modelhub.storage.access-key", minio::getUserName);
      registry.add("modelhub.storage.secret-key", minio::getPassword);
    }

    @Override
    public void close() {
      // Testcontainers' Ryuk removes the containers when the JVM exits.
    }
  }
}
