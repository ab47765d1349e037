package dev.modelhub.artifact;

import dev.modelhub.artifact.internal.ObjectStorage;
import dev.modelhub.artifact.internal.UploadStream;
import dev.modelhub.common.DiskSpace;
import dev.modelhub.common.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Content-addressed artifact storage.
 *
 * <p>An upload is {@linkplain #stage staged} first: the body streams through a SHA-256 digest into
 * an S3 multipart upload under a staging key (and into a local spool file for inspection), so the
 * heap holds one part whatever the size. Once the caller has checked the artifact it {@linkplain
 * #promote promotes} it to {@code sha256/<ab>/<hex>} (stored once however often it is uploaded) and
 * {@linkplain #release releases} the staging copies. A failed or abandoned upload aborts its
 * multipart upload, so nothing becomes visible.
 */
@Service
public class ArtifactStore {

  private static final Logger log = LoggerFactory.getLogger(ArtifactStore.class);

  private final ObjectStorage storage;
  private final Path spoolDir;
  private final AtomicInteger activeUploads = new AtomicInteger();

  public ArtifactStore(ObjectStorage storage, StorageProperties properties) throws IOException {
    this.storage = storage;
    this.spoolDir = properties.spoolDir().toAbsolutePath().normalize();
    Files.createDirectories(spoolDir);
  }

  /**
   * Checks there is room in the spool folder for an upload of {@code declaredBytes} (and as much
   * again for unpacking it), before a byte of it is read.
   */
  public void checkRoomFor(long declaredBytes) {
    if (declaredBytes > 0) {
      DiskSpace.require(spoolDir, Math.multiplyExact(declaredBytes, 2), "for this upload");
    }
  }

  /**
   * Streams {@code body} into staging, refusing more than {@code maxBytes}.
   *
   * @throws ArtifactTooLargeException the body exceeded {@code maxBytes}
   * @throws UploadInterruptedException the body ended early or the connection broke
   * @throws StorageUnavailableException object storage or the spool folder failed
   */
  public StagedArtifact stage(InputStream body, long maxBytes) {
    activeUploads.incrementAndGet();
    Path spool = null;
    String key = "staging/" + UUID.randomUUID();
    UploadStream upload = null;
    try {
      spool = Files.createTempFile(spoolDir, "upload-", ".part");
      try (OutputStream out = Files.newOutputStream(spool)) {
        upload = new UploadStream(body, out, maxBytes);
        storage.putStream(key, upload);
      }
      return new StagedArtifact(key, Digest.of(upload.digest()), upload.count(), spool);
    } catch (IOException | RuntimeException e) {
      FileTrees.deleteQuietly(spool);
      throw translate(upload, maxBytes, e);
    } finally {
      activeUploads.decrementAndGet();
    }
  }

  private RuntimeException translate(UploadStream upload, long maxBytes, Exception e) {
    UploadStream.Failure failure = upload == null ? UploadStream.Failure.SPOOL : upload.failure();
    return switch (failure) {
      case TOO_LARGE -> new ArtifactTooLargeException(maxBytes);
      case CLIENT -> new UploadInterruptedException(upload.cause());
      case SPOOL -> new StorageUnavailableException("Cannot write the local spool file", e);
      case NONE ->
          new StorageUnavailableException("Object storage at " + storage.endpoint() + " failed", e);
    };
  }

  /**
   * Makes a staged artifact part of the content-addressed store. If the same bytes are stored
   * already, the existing object is kept.
   */
  public Digest promote(StagedArtifact staged) {
    String target = staged.digest().objectKey();
    try {
      Optional<Long> existing = storage.size(target);
      if (existing.isEmpty() || existing.get() != staged.sizeBytes()) {
        storage.copy(staged.stagingKey(), target);
      }
      return staged.digest();
    } catch (IOException e) {
      throw new StorageUnavailableException(
          "Object storage at " + storage.endpoint() + " failed", e);
    }
  }

  /** Deletes the staging object and the spool file; safe to call more than once. */
  public void release(StagedArtifact staged) {
    FileTrees.deleteQuietly(staged.spoolFile());
    try {
      storage.remove(staged.stagingKey());
    } catch (IOException e) {
      log.warn("Could not remove staging object {}: {}", staged.stagingKey(), e.getMessage());
    }
  }

  /** Opens {@code length} bytes of a blob from {@code offset} (a null length reads to the end). */
  public InputStream open(Digest digest, long offset, Long length) {
    try {
      return storage.get(digest.objectKey(), offset, length);
    } catch (IOException e) {
      throw new StorageUnavailableException(
          "Object storage at " + storage.endpoint() + " failed", e);
    }
  }

  /**
   * Downloads a blob into {@code file}, hashing it on the way: a blob whose bytes no longer match
   * its digest (a corrupted or replaced object) is deleted locally and refused.
   *
   * @throws IllegalStateException the bytes do not match {@code digest}
   */
  public void download(Digest digest, Path file) throws IOException {
    MessageDigest sha256 = Digest.newSha256();
    try (InputStream in = open(digest, 0, null);
        OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha256)) {
      in.transferTo(out);
    }
    Digest actual = Digest.of(sha256.digest());
    if (!actual.equals(digest)) {
      FileTrees.deleteQuietly(file);
      throw new IllegalStateException(
          "the stored artifact has digest " + actual + ", expected " + digest);
    }
  }

  /**
   * Stores a running job's scratch file (a training checkpoint) under {@code name}, outside the
   * content-addressed store, replacing what was there: so that a worker taking the job over finds
   * it. Names are the job's own ({@code [a-z0-9-]+}).
   */
  public void putScratch(String name, Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      storage.putStream(scratchKey(name), in);
    } catch (IOException e) {
      throw new StorageUnavailableException(
          "Object storage at " + storage.endpoint() + " failed", e);
    }
  }

  /** Downloads scratch file {@code name} into {@code file}; false when there is none. */
  public boolean getScratch(String name, Path file) {
    String key = scratchKey(name);
    try {
      if (storage.size(key).isEmpty()) {
        return false;
      }
      try (InputStream in = storage.get(key, 0, null)) {
        Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      return true;
    } catch (IOException e) {
      throw new StorageUnavailableException(
          "Object storage at " + storage.endpoint() + " failed", e);
    }
  }

  /** Removes scratch file {@code name}, if there is one. */
  public void removeScratch(String name) {
    try {
      storage.remove(scratchKey(name));
    } catch (IOException e) {
      log.warn("Could not remove scratch object {}: {}", name, e.getMessage());
    }
  }

  private static String scratchKey(String name) {
    if (!name.matches("[a-z0-9-]{1,100}")) {
      throw new IllegalArgumentException("scratch names are [a-z0-9-]+, not '" + name + "'");
    }
    return "scratch/" + name;
  }

  /** Checks that object storage answers and the bucket exists. */
  public StorageProbe probe() {
    try {
      boolean bucketExists = storage.probe();
      return new StorageProbe(storage.endpoint(), storage.bucket(), bucketExists, null);
    } catch (IOException e) {
      return new StorageProbe(storage.endpoint(), storage.bucket(), false, e.getMessage());
    }
  }

  /** Uploads being received right now. */
  public int activeUploads() {
    return activeUploads.get();
  }
}
