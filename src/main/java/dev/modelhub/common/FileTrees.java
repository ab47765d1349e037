package dev.modelhub.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removing and measuring files and folders Modelhub wrote (spool, unpacked archives, caches, job
 * work).
 */
public final class FileTrees {

  private static final Logger log = LoggerFactory.getLogger(FileTrees.class);

  private FileTrees() {}

  /**
   * Deletes {@code path} and, if it is a folder, everything under it (links are removed, never
   * followed); nothing happens if it does not exist.
   *
   * @throws UncheckedIOException something could not be deleted
   */
  public static void delete(Path path) {
    if (path == null || !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(path)) {
      for (Path each : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(each);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }

  /** {@link #delete}, best effort: logs what it could not delete instead of failing the caller. */
  public static void deleteQuietly(Path path) {
    try {
      delete(path);
    } catch (UncheckedIOException e) {
      log.warn("Could not delete {}: {}", path, e.getCause().getMessage());
    }
  }

  /**
   * The bytes of the regular files directly in {@code folder} (a model file and its external data
   * beside it); links and sub-folders are not counted.
   */
  public static long filesIn(Path folder) {
    try (var files = Files.list(folder)) {
      long total = 0;
      for (Path f : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          total += Files.size(f);
        }
      }
      return total;
    } catch (IOException e) {
      return 0;
    }
  }

  /** The bytes of all regular files under {@code path} (links are not followed or counted). */
  public static long sizeOf(Path path) {
    try (Stream<Path> all = Files.walk(path)) {
      long total = 0;
      for (Path f : (Iterable<Path>) all::iterator) {
        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          total += Files.size(f);
        }
      }
      return total;
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }
}
