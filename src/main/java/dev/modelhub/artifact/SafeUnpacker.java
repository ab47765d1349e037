package dev.modelhub.artifact;

import dev.modelhub.artifact.internal.TarHeaderGuard;
import dev.modelhub.artifact.internal.ZipEndRecord;
import dev.modelhub.common.FileTrees;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
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
 * The one way Modelhub opens archives (zip, tar, tar.gz). Every entry is checked before anything is
 * written: its type (files and folders only: no links, devices, FIFOs or sparse files), its name
 * (no absolute path, no {@code ..}, nothing outside the target folder, no control character, no
 * name longer than a file system allows, no file where a folder of the same name is or the other
 * way round). A zip's declared entry count is checked before it is opened, tar headers that a
 * reader would hold in memory are capped, and the bytes actually written are bounded absolutely and
 * by ratio to the archive's size ({@link ArchiveProperties}). A rejected archive leaves no partial
 * output, and every rejection is a 422 that names the entry.
 */
@Component
public class SafeUnpacker {

  private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");
  private static final int BUFFER = 64 * 1024;
  private static final int MAX_SEGMENT_BYTES = 255;

  /** Paths inside an archive: short enough that folder plus path stays within PATH_MAX (4096). */
  private static final int MAX_PATH_BYTES = 1024;

  private static final int UNIX_TYPE = 0170000;
  private static final int UNIX_FILE = 0100000;
  private static final int UNIX_DIRECTORY = 0040000;

  private final ArchiveProperties limits;
  private final Path workDir;

  public SafeUnpacker(ArchiveProperties limits, StorageProperties storage) {
    this.limits = limits;
    this.workDir = storage.spoolDir().toAbsolutePath().normalize();
  }

  /** Unpacks into a new temporary folder under the spool folder, deleted when closed. */
  public UnpackedArchive unpackToTemp(Path archive) {
    return unpackToTemp(archive, Long.MAX_VALUE, null);
  }

  /**
   * The same, with a tighter bound on the unpacked bytes than the archive limits: {@code maxBytes},
   * named {@code setting} in the refusal.
   */
  public UnpackedArchive unpackToTemp(Path archive, long maxBytes, String setting) {
    Path target;
    try {
      Files.createDirectories(workDir);
      target = Files.createTempDirectory(workDir, "unpack-");
    } catch (IOException e) {
      throw new StorageUnavailableException("Cannot create a folder in " + workDir, e);
    }
    UnpackedArchive unpacked = unpack(archive, target, maxBytes, setting);
    return new UnpackedArchive(unpacked.root(), unpacked.files(), unpacked.totalBytes(), true);
  }

  /**
   * Unpacks {@code archive} into {@code target} (created if missing, expected empty).
   *
   * @throws ArchiveRejectedException the archive is corrupt, unsafe or over a limit; {@code target}
   *     is then removed
   */
  public UnpackedArchive unpack(Path archive, Path target) {
    return unpack(archive, target, Long.MAX_VALUE, null);
  }

  private UnpackedArchive unpack(Path archive, Path target, long maxBytes, String setting) {
    Path root;
    try {
      Files.createDirectories(target);
      root = target.toRealPath();
    } catch (IOException e) {
      throw new StorageUnavailableException("Cannot create " + target, e);
    }
    List<String> files = new ArrayList<>();
    try {
      Budget budget = new Budget(limits, Files.size(archive), maxBytes, setting);
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
      FileTrees.delete(root);
      throw e;
    } catch (TarHeaderGuard.Refused e) {
      FileTrees.delete(root);
      throw ArchiveRejectedException.entry(shown(e.entry()), e.getMessage());
    } catch (IOException | RuntimeException e) {
      FileTrees.delete(root);
      throw new ArchiveRejectedException(
          "The archive is truncated or corrupt: " + e.getMessage() + "; nothing was stored.", e);
    } catch (Error e) {
      FileTrees.delete(root); // out of memory, say: leave nothing behind
      throw e;
    }
  }

  /**
   * Lists a zip archive's entries without unpacking them, applying the same type, name, count and
   * size checks as {@link #unpack} (sizes as declared, for a reader that will trust them).
   */
  public List<ArchiveEntry> listZip(Path archive) {
    List<ArchiveEntry> entries = new ArrayList<>();
    try {
      Budget budget = new Budget(limits, Files.size(archive), Long.MAX_VALUE, null);
      checkDeclaredEntries(archive);
      try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
        for (ZipArchiveEntry entry : Collections.list(zip.getEntriesInPhysicalOrder())) {
          budget.entry(entry.getName());
          checkName(entry.getName());
          checkZipType(entry);
          if (!entry.isDirectory()) {
            budget.declared(entry.getSize(), entry.getName());
          }
          entries.add(new ArchiveEntry(entry.getName(), entry.isDirectory(), entry.getSize()));
        }
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
    checkDeclaredEntries(archive);
    try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
      for (ZipArchiveEntry entry : Collections.list(zip.getEntriesInPhysicalOrder())) {
        String name = entry.getName();
        budget.entry(name);
        checkZipType(entry);
        Path path = resolve(root, name);
        if (entry.isDirectory()) {
          createDirectories(root, path, name);
          continue;
        }
        if (path.equals(root)) {
          throw ArchiveRejectedException.entry(
              shown(name), "is a file named like the folder itself");
        }
        if (!zip.canReadEntryData(entry)) {
          throw ArchiveRejectedException.entry(shown(name), "uses an unsupported zip feature");
        }
        try (InputStream in = zip.getInputStream(entry)) {
          write(in, root, path, name, budget);
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
        InputStream guarded =
            new TarHeaderGuard(
                decompressed,
                limits.maxHeaderSize().toBytes(),
                // headers and padding count too: the whole stream is bounded, not only files
                Math.addExact(
                    budget.maxBytes,
                    limits.maxHeaderSize().toBytes() * 4
                        + limits.maxEntries() * 1024L
                        + (16L << 20)));
        TarArchiveInputStream tar = new TarArchiveInputStream(guarded)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        String name = entry.getName();
        budget.entry(name);
        checkTarType(entry);
        Path path = resolve(root, name);
        if (entry.isDirectory()) {
          createDirectories(root, path, name);
        } else if (path.equals(root)) {
          throw ArchiveRejectedException.entry(
              shown(name), "is a file named like the folder itself");
        } else {
          write(tar, root, path, name, budget);
          files.add(root.relativize(path).toString());
        }
      }
    }
  }

  /** Refuses a zip whose end record declares more entries than allowed, before opening it. */
  private void checkDeclaredEntries(Path archive) throws IOException {
    long declared = ZipEndRecord.countEntries(archive, limits.maxEntries());
    if (declared < 0) {
      throw new ArchiveRejectedException(
          "The zip archive has no end-of-central-directory record: it is truncated or corrupt;"
              + " nothing was stored.");
    }
    if (declared > limits.maxEntries()) {
      throw new ArchiveRejectedException(
          "The zip archive holds "
              + declared
              + " entries or more, more than "
              + limits.maxEntries()
              + " (modelhub.archive.max-entries); nothing was stored.");
    }
  }

  private static void checkZipType(ZipArchiveEntry entry) {
    String name = entry.getName();
    if (entry.isUnixSymlink()) {
      throw ArchiveRejectedException.entry(shown(name), "is a symbolic link");
    }
    if (entry.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX) {
      int type = entry.getUnixMode() & UNIX_TYPE;
      if (type != 0 && type != UNIX_FILE && type != UNIX_DIRECTORY) {
        throw ArchiveRejectedException.entry(
            shown(name), "is a device, FIFO, socket or other special file");
      }
    }
  }

  private static void checkTarType(TarArchiveEntry entry) {
    String name = shown(entry.getName());
    if (entry.isSymbolicLink()) {
      throw ArchiveRejectedException.entry(name, "is a symbolic link");
    }
    if (entry.isLink()) {
      throw ArchiveRejectedException.entry(name, "is a hard link");
    }
    if (entry.isGNUSparse() || entry.isOldGNUSparse() || entry.isPaxGNUSparse()) {
      throw ArchiveRejectedException.entry(name, "is a sparse file");
    }
    if (!entry.isDirectory() && !entry.isFile()) {
      throw ArchiveRejectedException.entry(name, "is a device, FIFO or other special file");
    }
  }

  /** Rejects names that are absolute, climb out or cannot be a file name; answers the path. */
  private static Path resolve(Path root, String name) {
    checkName(name);
    Path path = root.resolve(name.replace('\\', '/')).normalize();
    if (!path.startsWith(root)) {
      throw ArchiveRejectedException.entry(
          shown(name), "would be written outside the target folder");
    }
    return path;
  }

  private static void checkName(String name) {
    if (name.isEmpty() || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw ArchiveRejectedException.entry(
          shown(name), "has an empty name or control characters in it");
    }
    String normalized = name.replace('\\', '/');
    if (normalized.startsWith("/") || DRIVE.matcher(normalized).matches()) {
      throw ArchiveRejectedException.entry(shown(name), "has an absolute path");
    }
    if (normalized.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw ArchiveRejectedException.entry(
          shown(name), "has a path longer than " + MAX_PATH_BYTES + " bytes");
    }
    for (String segment : normalized.split("/")) {
      if (segment.equals("..")) {
        throw ArchiveRejectedException.entry(shown(name), "climbs out of its folder with '..'");
      }
      if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
        throw ArchiveRejectedException.entry(
            shown(name), "has a name part longer than " + MAX_SEGMENT_BYTES + " bytes");
      }
    }
  }

  private static void write(InputStream in, Path root, Path path, String name, Budget budget) {
    createDirectories(root, path.getParent(), name);
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      throw ArchiveRejectedException.entry(
          shown(name), "is a file where the archive has a folder of that name");
    }
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
    } catch (FileAlreadyExistsException e) {
      throw ArchiveRejectedException.entry(shown(name), "appears twice in the archive");
    } catch (IOException e) {
      throw new StorageUnavailableException("Cannot write an unpacked entry", e);
    }
  }

  /** Reads archive data, turning read failures into "corrupt archive" rather than disk errors. */
  private static int read(InputStream in, byte[] buffer, String name) {
    try {
      return in.read(buffer);
    } catch (TarHeaderGuard.Refused e) {
      throw ArchiveRejectedException.entry(shown(e.entry()), e.getMessage());
    } catch (IOException e) {
      throw ArchiveRejectedException.entry(
          shown(name), "is truncated or corrupt (" + e.getMessage() + ")");
    }
  }

  /**
   * Creates the folders from {@code root} down to {@code dir}, refusing an entry whose folder is a
   * file the archive wrote earlier.
   */
  private static void createDirectories(Path root, Path dir, String name) {
    Path step = root;
    for (Path part : root.relativize(dir)) {
      step = step.resolve(part);
      if (Files.isRegularFile(step, LinkOption.NOFOLLOW_LINKS)) {
        throw ArchiveRejectedException.entry(
            shown(name), "needs a folder where the archive has a file of that name");
      }
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StorageUnavailableException("Cannot create an unpacked folder", e);
    }
  }

  /** An entry name as errors show it: at most 120 characters. */
  private static String shown(String name) {
    return name.length() <= 120 ? name : name.substring(0, 117) + "…";
  }

  /** Counts entries and bytes against the limits. */
  private static final class Budget {
    private final long maxBytes;
    private final String limitName;
    private final int maxEntries;
    private long bytes;
    private long declared;
    private int entries;

    Budget(ArchiveProperties limits, long archiveBytes, long callerMax, String callerSetting) {
      long archiveMax = limits.unpackedLimit(archiveBytes);
      this.maxBytes = Math.min(archiveMax, callerMax);
      this.limitName =
          callerMax < archiveMax
              ? callerSetting
              : archiveMax < limits.maxUnpackedSize().toBytes()
                  ? "modelhub.archive.max-ratio times its own size"
                  : "modelhub.archive.max-unpacked-size";
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
      check(bytes, name);
    }

    void declared(long size, String name) {
      declared = size < 0 || declared > Long.MAX_VALUE - size ? Long.MAX_VALUE : declared + size;
      check(declared, name);
    }

    private void check(long total, String name) {
      if (total > maxBytes) {
        throw new ArchiveRejectedException(
            "The archive unpacks to more than "
                + maxBytes
                + " bytes ("
                + limitName
                + "), exceeded at entry '"
                + shown(name)
                + "'; nothing was stored.");
      }
    }
  }
}
