package dev.modelhub.artifact;

import dev.modelhub.common.FileTrees;
import java.nio.file.Path;
import java.util.List;

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
      FileTrees.delete(root);
    }
  }
}
