package dev.modelhub.artifact;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * An archive unpacked into a folder of its own. Closing it deletes the folder when it is a
 * temporary one.
 *
 * @param root the folder every entry was written under
 * @param files relative paths of the regular files, in archive order
 * @param totalBytes bytes written
 * @param temporary whether {@link #close()} deletes {@code root}
 */
public record UnpackedArchive(Path root, List<String> files, long totalBytes, boolean temporary)
    implements AutoCloseable {

  @Override
  public void close() {
    if (temporary) {
      deleteTree(root);
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(UnpackedArchive::deleteOne);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  private static void deleteOne(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }
}
