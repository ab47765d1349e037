package dev.modelhub.artifact.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that shows every byte passing through it to {@link #watch}: single-byte reads, bulk
 * reads and skips all go through one path, and mark/reset is refused so nothing is seen twice or
 * missed.
 */
abstract class WatchedStream extends FilterInputStream {

  protected WatchedStream(InputStream in) {
    super(in);
  }

  /** Reads from the source; override to tell the source's failures apart from the watcher's. */
  protected int fill(byte[] buffer, int offset, int length) throws IOException {
    return in.read(buffer, offset, length);
  }

  /** Sees {@code length} bytes just read; throws to stop the stream. */
  protected abstract void watch(byte[] buffer, int offset, int length) throws IOException;

  @Override
  public final int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public final int read(byte[] buffer, int offset, int length) throws IOException {
    int n = fill(buffer, offset, length);
    if (n > 0) {
      watch(buffer, offset, n);
    }
    return n;
  }

  @Override
  public final long skip(long n) throws IOException {
    byte[] scratch = new byte[(int) Math.min(8192, Math.max(1, n))];
    long skipped = 0;
    while (skipped < n) {
      int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public final boolean markSupported() {
    return false;
  }

  @Override
  public final synchronized void mark(int limit) {}

  @Override
  public final synchronized void reset() throws IOException {
    throw new IOException("mark/reset is not supported");
  }
}
