package dev.modelhub.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Removing scratch folders (spool, caches, job work): best effort, never failing the caller. */
public final class FileTrees {

  private static final Logger log = LoggerFactory.getLogger(FileTrees.class);

  private FileTrees() {}

  /** Deletes {@code dir} and everything under it, if it exists; logs what it could not delete. */
  public static void deleteQuietly(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      log.warn("Could not delete {}: {}", dir, e.getMessage());
    }
  }
}
