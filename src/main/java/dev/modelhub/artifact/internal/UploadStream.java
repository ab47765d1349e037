package dev.modelhub.artifact.internal;

import dev.modelhub.artifact.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * The request body on its way to object storage: every byte read is counted against the size limit,
 * fed to a SHA-256 digest and copied to the local spool file. It remembers which side failed (the
 * client, the limit or the spool) so the caller can answer 400, 413 or 503 even though the failure
 * surfaces inside the storage client.
 */
public final class UploadStream extends WatchedStream {

  /** What made the stream fail, if anything. */
  public enum Failure {
    NONE,
    CLIENT,
    TOO_LARGE,
    SPOOL
  }

  private final OutputStream spool;
  private final long limit;
  private final MessageDigest sha256;
  private long count;
  private Failure failure = Failure.NONE;
  private IOException cause;

  public UploadStream(InputStream source, OutputStream spool, long limit) {
    super(source);
    this.spool = spool;
    this.limit = limit;
    this.sha256 = Digest.newSha256();
  }

  @Override
  protected int fill(byte[] buffer, int offset, int length) throws IOException {
    try {
      return in.read(buffer, offset, length);
    } catch (IOException e) {
      throw fail(Failure.CLIENT, e);
    }
  }

  @Override
  protected void watch(byte[] buffer, int offset, int n) throws IOException {
    count += n;
    if (count > limit) {
      throw fail(Failure.TOO_LARGE, new IOException("upload exceeds " + limit + " bytes"));
    }
    sha256.update(buffer, offset, n);
    try {
      spool.write(buffer, offset, n);
    } catch (IOException e) {
      throw fail(Failure.SPOOL, e);
    }
  }

  private IOException fail(Failure kind, IOException e) {
    if (failure == Failure.NONE) {
      failure = kind;
      cause = e;
    }
    return e;
  }

  public Failure failure() {
    return failure;
  }

  public IOException cause() {
    return cause;
  }

  public long count() {
    return count;
  }

  /** The digest of everything read; call once, after the stream is exhausted. */
  public byte[] digest() {
    return sha256.digest();
  }
}
