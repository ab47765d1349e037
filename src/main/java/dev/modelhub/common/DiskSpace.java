package dev.modelhub.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.http.HttpStatus;

/** Checks free disk before a download or unpack, so that it fails at once with a clear reason. */
public final class DiskSpace {

  /** Room always left free for everything else on the disk. */
  static final long RESERVE = 256L << 20;

  private DiskSpace() {}

  /**
   * Throws {@link InsufficientStorage} unless the file system of {@code folder} has {@code bytes}
   * free beyond a small reserve.
   */
  public static void require(Path folder, long bytes, String purpose) {
    long usable;
    try {
      usable = Files.getFileStore(Files.createDirectories(folder)).getUsableSpace();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the free space of " + folder, e);
    }
    if (usable - RESERVE < bytes) {
      throw new InsufficientStorage(
          "Not enough free disk "
              + purpose
              + ": it needs about "
              + mb(bytes)
              + " MB and "
              + mb(Math.max(0, usable - RESERVE))
              + " MB are free.");
    }
  }

  private static long mb(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  /** 507: this node has not enough disk for what was asked; retrying later may work. */
  public static final class InsufficientStorage extends ModelhubException {
    public InsufficientStorage(String detail) {
      super(
          HttpStatus.INSUFFICIENT_STORAGE, "insufficient-storage", "Insufficient storage", detail);
    }

    @Override
    public boolean detailIsForClients() {
      return true;
    }
  }
}
