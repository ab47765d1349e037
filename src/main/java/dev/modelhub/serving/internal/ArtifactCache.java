package dev.modelhub.serving.internal;

import dev.modelhub.artifact.ArchiveType;
import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.Digest;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.artifact.UnpackedArchive;
import dev.modelhub.common.DiskSpace;
import dev.modelhub.common.FileTrees;
import dev.modelhub.format.ModelFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.unit.DataSize;

/**
 * Artifacts on local disk, by digest: downloaded from object storage once, verified against their
 * digest, archives unpacked through the safe unpacker. Entries in use are pinned; the others are
 * evicted least-recently-used first when the cache grows past its bound. Everything here can be
 * rebuilt from object storage, so a crash at any point only costs a download.
 */
public class ArtifactCache {

  private static final Logger log = LoggerFactory.getLogger(ArtifactCache.class);
  private static final String READY_MARKER = ".complete";

  private final ArtifactStore store;
  private final SafeUnpacker unpacker;
  private final Path root;
  private final long maxBytes;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  /** Recency ticks: higher is more recently used. */
  private final AtomicLong ticks = new AtomicLong();

  /** One cached artifact. */
  private static final class Entry {
    final Path dir;
    final long bytes;
    volatile long lastUsed;
    int pins;

    Entry(Path dir, long bytes, long lastUsed) {
      this.dir = dir;
      this.bytes = bytes;
      this.lastUsed = lastUsed;
    }
  }

  public ArtifactCache(ArtifactStore store, SafeUnpacker unpacker, Path root, DataSize maxSize) {
    this.store = store;
    this.unpacker = unpacker;
    this.root = root.toAbsolutePath().normalize();
    this.maxBytes = maxSize.toBytes();
    scan();
  }

  /**
   * The local directory holding the artifact (downloading it if needed), pinned until {@link
   * #release}. Inside it, a single-file artifact is {@code model.onnx}/{@code model.pt}; an archive
   * is unpacked under {@code unpacked/}.
   */
  public Path acquire(String digestValue, ModelFormat format, long sizeBytes) {
    Digest digest = Digest.parse(digestValue);
    Entry entry;
    // One download per digest at a time: concurrent acquirers of the same digest wait for it.
    synchronized (lockFor(digest.hex())) {
      entry = entries.get(digest.hex());
      if (entry == null) {
        // The download, and as much again where an archive is unpacked beside it.
        DiskSpace.require(root, Math.multiplyExact(sizeBytes, 2), "to load this model");
        entry = download(digest, format);
        entries.put(digest.hex(), entry);
      }
      synchronized (this) {
        entry.pins++;
        entry.lastUsed = ticks.incrementAndGet();
      }
    }
    evictIfNeeded();
    return entry.dir;
  }

  /** Unpins an artifact acquired earlier. */
  public synchronized void release(String digestValue) {
    Entry entry = entries.get(Digest.parse(digestValue).hex());
    if (entry != null && entry.pins > 0) {
      entry.pins--;
    }
  }

  /** Bytes on disk in the cache. */
  public long sizeBytes() {
    return entries.values().stream().mapToLong(e -> e.bytes).sum();
  }

  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  private Object lockFor(String hex) {
    return locks.computeIfAbsent(hex, h -> new Object());
  }

  private Entry download(Digest digest, ModelFormat format) {
    Path tmp = root.resolve("tmp-" + UUID.randomUUID());
    try {
      Files.createDirectories(tmp);
      Path file = tmp.resolve(format == ModelFormat.TORCHSCRIPT ? "model.pt" : "model.onnx");
      store.download(digest, file);
      if (format != ModelFormat.TORCHSCRIPT && ArchiveType.detect(file).isPresent()) {
        Path archive = tmp.resolve("artifact.archive");
        Files.move(file, archive);
        UnpackedArchive unpacked = unpacker.unpack(archive, tmp.resolve("unpacked"));
        log.debug("Unpacked {} ({} files)", digest, unpacked.files().size());
        Files.delete(archive);
      }
      Files.createFile(tmp.resolve(READY_MARKER));
      Path dir = root.resolve(digest.hex());
      FileTrees.deleteQuietly(dir);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      return new Entry(dir, treeSize(dir), ticks.incrementAndGet());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot cache " + digest + " in " + root, e);
    } finally {
      FileTrees.deleteQuietly(tmp);
    }
  }

  private void evictIfNeeded() {
    synchronized (this) {
      long total = sizeBytes();
      if (total <= maxBytes) {
        return;
      }
      var candidates =
          entries.entrySet().stream()
              .filter(e -> e.getValue().pins == 0)
              .sorted(Comparator.comparingLong(e -> e.getValue().lastUsed))
              .toList();
      for (var candidate : candidates) {
        if (total <= maxBytes) {
          break;
        }
        entries.remove(candidate.getKey());
        FileTrees.deleteQuietly(candidate.getValue().dir);
        total -= candidate.getValue().bytes;
        log.info("Evicted sha256:{} from the artifact cache", candidate.getKey());
      }
      if (total > maxBytes) {
        log.warn(
            "Artifact cache holds {} bytes in use, over its bound of {} (modelhub.serving.cache.max-size)",
            total,
            maxBytes);
      }
    }
  }

  /** Rebuilds the index from disk, dropping incomplete leftovers of an earlier process. */
  private void scan() {
    try {
      Files.createDirectories(root);
      try (Stream<Path> dirs = Files.list(root)) {
        // Oldest first, so that recency ticks follow the order the entries were last written.
        for (Path dir : dirs.sorted(Comparator.comparingLong(ArtifactCache::modified)).toList()) {
          String name = dir.getFileName().toString();
          if (name.matches("[0-9a-f]{64}") && Files.exists(dir.resolve(READY_MARKER))) {
            entries.put(name, new Entry(dir, treeSize(dir), ticks.incrementAndGet()));
          } else {
            FileTrees.deleteQuietly(dir);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the artifact cache " + root, e);
    }
  }

  private static long modified(Path path) {
    try {
      return Files.getLastModifiedTime(path).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  private static long treeSize(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(ArtifactCache::size).sum();
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }
}
