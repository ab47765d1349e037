package dev.modelhub.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The archive containers Modelhub accepts, recognized by their leading bytes, not file names. */
public enum ArchiveType {
  ZIP,
  TAR,
  TAR_GZ;

  /** The archive type of {@code file}, or empty if it is not an archive. */
  public static Optional<ArchiveType> detect(Path file) throws IOException {
    byte[] head = new byte[512];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    if (n >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5)) {
      return Optional.of(ZIP);
    }
    if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return Optional.of(TAR_GZ);
    }
    if (n >= 262 && new String(head, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
      return Optional.of(TAR);
    }
    return Optional.empty();
  }
}
