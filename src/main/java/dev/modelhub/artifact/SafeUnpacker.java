package dev.modelhub.artifact;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.springframework.stereotype.Component;

/**
 * The one way Modelhub opens archives (zip, tar, tar.gz). Every entry name is checked before
 * anything is written: no absolute paths, no {@code ..}, nothing that resolves outside the target
 * folder; symbolic links, hard links and devices are refused; entry count and the bytes actually
 * written are bounded by {@link ArchiveProperties}. A rejected archive leaves no partial output.
 */
@Component
public class SafeUnpacker {

  private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");
  private static final int BUFFER = 64 * 1024;

  private final ArchiveProperties limits;
  private final Path workDir;

  public SafeUnpacker(ArchiveProperties limits, StorageProperties storage) {
    this.limits = limits;
    this.workDir = storage.spoolDir().toAbsolutePath().normalize();
  }

  /** Unpacks into a new temporary folder under the spool folder, deleted when closed. */
  public UnpackedArchive unpackToTemp(Path archive) {
    Path target;
    try {
      Files.createDirectories(workDir);
      target = Files.createTempDirectory(workDir, "unpack-");
    } catch (IOException e) {
      throw new StorageUnavailableException("Cannot create a folder in " + workDir, e);
    }
    UnpackedArchive unpacked = unpack(archive, target);
    return new UnpackedArchive(unpacked.root(), unpacked.files(), unpacked.totalBytes(), true);
  }

  /**
   * Unpacks {@code archive} into {@code target} (created if missing, expected empty).
   *
   * @throws ArchiveRejectedException the archive is corrupt, unsafe or over a limit; {@code target}
   *     is then removed
   */
  public UnpackedArchive unpack(Path archive, Path target) {
    Path root;
    try {
      Files.createDirectories(target);
      root = target.toRealPath();
    } catch (IOException e) {
      throw new StorageUnavailableException("Cannot create " + target, e);
    }
    Budget budget = new Budget(limits);
    List<String> files = new ArrayList<>();
    try {
      ArchiveType type =
          ArchiveType.detect(archive)
              .orElseThrow(() -> new ArchiveRejectedException("Not a zip, tar or tar.gz archive."));
      if (type == ArchiveType.ZIP) {
        unpackZip(archive, root, budget, files);
      } else {
        unpackTar(archive, type, root, budget, files);
      }
      return new UnpackedArchive(root, Collections.unmodifiableList(files), budget.bytes, false);
    } catch (ArchiveRejectedException | StorageUnavailableException e) {
      UnpackedArchive.deleteTree(root);
      throw e;
    } catch (IOException | RuntimeException e) {
      UnpackedArchive.deleteTree(root);
      throw new ArchiveRejectedException(
          "The archive is truncated or corrupt: " + e.getMessage() + "; nothing was stored.", e);
    }
  }

  /**
   * Lists a zip archive's entries without unpacking them, applying the same name, link and count
   * checks as {@link #unpack}.
   */
  public List<ArchiveEntry> listZip(Path archive) {
    Budget budget = new Budget(limits);
    List<ArchiveEntry> entries = new ArrayList<>();
    try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
      for (ZipArchiveEntry entry : Collections.list(zip.getEntriesInPhysicalOrder())) {
        budget.entry(entry.getName());
        checkName(entry.getName());
        if (entry.isUnixSymlink()) {
          throw ArchiveRejectedException.entry(entry.getName(), "is a symbolic link");
        }
        entries.add(new ArchiveEntry(entry.getName(), entry.isDirectory(), entry.getSize()));
      }
      return entries;
    } catch (IOException e) {
      throw new ArchiveRejectedException(
          "The zip archive is truncated or corrupt: " + e.getMessage() + "; nothing was stored.",
          e);
    }
  }

  private void unpackZip(Path archive, Path root, Budget budget, List<String> files)
      throws IOException {
    try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
      for (ZipArchiveEntry entry : Collections.list(zip.getEntriesInPhysicalOrder())) {
        String name = entry.getName();
        budget.entry(name);
        Path path = resolve(root, name);
        if (entry.isUnixSymlink()) {
          throw ArchiveRejectedException.entry(name, "is a symbolic link");
        }
        if (entry.isDirectory()) {
          createDirectories(path);
          continue;
        }
        if (!zip.canReadEntryData(entry)) {
          throw ArchiveRejectedException.entry(name, "uses an unsupported zip feature");
        }
        try (InputStream in = zip.getInputStream(entry)) {
          write(in, path, name, budget);
        }
        files.add(root.relativize(path).toString());
      }
    }
  }

  private void unpackTar(
      Path archive, ArchiveType type, Path root, Budget budget, List<String> files)
      throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), BUFFER);
        InputStream decompressed =
            type == ArchiveType.TAR_GZ ? new GzipCompressorInputStream(raw, true) : raw;
        TarArchiveInputStream tar = new TarArchiveInputStream(decompressed)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        String name = entry.getName();
        budget.entry(name);
        Path path = resolve(root, name);
        if (entry.isSymbolicLink()) {
          throw ArchiveRejectedException.entry(name, "is a symbolic link");
        }
        if (entry.isLink()) {
          throw ArchiveRejectedException.entry(name, "is a hard link");
        }
        if (entry.isDirectory()) {
          createDirectories(path);
        } else if (entry.isFile()) {
          write(tar, path, name, budget);
          files.add(root.relativize(path).toString());
        } else {
          throw ArchiveRejectedException.entry(name, "is a device, pipe or other special file");
        }
      }
    }
  }

  /** Rejects names that are absolute or climb out; returns where the entry may be written. */
  private static Path resolve(Path root, String name) {
    checkName(name);
    Path path = root.resolve(name.replace('\\', '/')).normalize();
    if (!path.startsWith(root)) {
      throw ArchiveRejectedException.entry(name, "would be written outside the target folder");
    }
    return path;
  }

  private static void checkName(String name) {
    if (name.isEmpty() || name.indexOf('\0') >= 0) {
      throw ArchiveRejectedException.entry(name, "has an empty or invalid name");
    }
    String normalized = name.replace('\\', '/');
    if (normalized.startsWith("/") || DRIVE.matcher(normalized).matches()) {
      throw ArchiveRejectedException.entry(name, "has an absolute path");
    }
    for (String segment : normalized.split("/")) {
      if (segment.equals("..")) {
        throw ArchiveRejectedException.entry(name, "climbs out of its folder with '..'");
      }
    }
  }

  private static void write(InputStream in, Path path, String name, Budget budget) {
    try {
      createDirectories(path.getParent());
      try (OutputStream out =
          Files.newOutputStream(
              path,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE,
              LinkOption.NOFOLLOW_LINKS)) {
        byte[] buffer = new byte[BUFFER];
        int n;
        while ((n = read(in, buffer, name)) > 0) {
          budget.bytes(n, name);
          out.write(buffer, 0, n);
        }
      }
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw ArchiveRejectedException.entry(name, "appears twice in the archive");
    } catch (IOException e) {
      throw new StorageUnavailableException("Cannot write " + path, e);
    }
  }

  /** Reads archive data, turning read failures into "corrupt archive" rather than disk errors. */
  private static int read(InputStream in, byte[] buffer, String name) {
    try {
      return in.read(buffer);
    } catch (IOException e) {
      throw ArchiveRejectedException.entry(
          name, "is truncated or corrupt (" + e.getMessage() + ")");
    }
  }

  private static void createDirectories(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StorageUnavailableException("Cannot create " + dir, e);
    }
  }

  /** Counts entries and bytes against the limits. */
  private static final class Budget {
    private final long maxBytes;
    private final int maxEntries;
    private long bytes;
    private int entries;

    Budget(ArchiveProperties limits) {
      this.maxBytes = limits.maxUnpackedSize().toBytes();
      this.maxEntries = limits.maxEntries();
    }

    void entry(String name) {
      if (++entries > maxEntries) {
        throw new ArchiveRejectedException(
            "The archive holds more than "
                + maxEntries
                + " entries (modelhub.archive.max-entries); nothing was stored.");
      }
    }

    void bytes(int n, String name) {
      bytes += n;
      if (bytes > maxBytes) {
        throw new ArchiveRejectedException(
            "The archive unpacks to more than "
                + maxBytes
                + " bytes (modelhub.archive.max-unpacked-size), exceeded at entry '"
                + name
                + "'; nothing was stored.");
      }
    }
  }
}
