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
public final class UploadStream extends InputStream {

  /** What made the stream fail, if anything. */
  public enum Failure {
    NONE,
    CLIENT,
    TOO_LARGE,
    SPOOL
  }

  private final InputStream source;
  private final OutputStream spool;
  private final long limit;
  private final MessageDigest sha256;
  private long count;
  private Failure failure = Failure.NONE;
  private IOException cause;

  public UploadStream(InputStream source, OutputStream spool, long limit) {
    this.source = source;
    this.spool = spool;
    this.limit = limit;
    this.sha256 = Digest.newSha256();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n;
    try {
      n = source.read(buffer, offset, length);
    } catch (IOException e) {
      throw fail(Failure.CLIENT, e);
    }
    if (n <= 0) {
      return n;
    }
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
    return n;
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
