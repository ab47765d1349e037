package dev.modelhub.artifact.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Watches a tar stream's headers as they pass on their way to the tar reader, and stops the stream
 * at a header that may not be unpacked — before the reader acts on it and before anything is
 * written: entry types other than files and folders (links, devices, FIFOs, GNU sparse files,
 * volume and multi-volume headers), and long-name or PAX headers larger than {@code
 * maxHeaderBytes}, which a tar reader would otherwise read into memory whole.
 */
public final class TarHeaderGuard extends FilterInputStream {

  /** Why the stream was stopped; the unpacker turns it into a 422 naming the entry. */
  public static final class Refused extends IOException {
    private final String entry;

    Refused(String entry, String reason) {
      super(reason);
      this.entry = entry;
    }

    public String entry() {
      return entry;
    }
  }

  private static final int BLOCK = 512;

  private final long maxHeaderBytes;
  private final byte[] header = new byte[BLOCK];
  private int headerFill;
  private long dataLeft;
  private boolean ended;

  public TarHeaderGuard(InputStream in, long maxHeaderBytes) {
    super(in);
    this.maxHeaderBytes = maxHeaderBytes;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = in.read(buffer, offset, length);
    if (n > 0) {
      watch(buffer, offset, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Route skips through read so that every byte is watched.
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

  private void watch(byte[] buffer, int offset, int length) throws IOException {
    int i = offset;
    int end = offset + length;
    while (i < end && !ended) {
      if (dataLeft > 0) {
        int take = (int) Math.min(dataLeft, end - i);
        dataLeft -= take;
        i += take;
        continue;
      }
      int take = Math.min(BLOCK - headerFill, end - i);
      System.arraycopy(buffer, i, header, headerFill, take);
      headerFill += take;
      i += take;
      if (headerFill == BLOCK) {
        headerFill = 0;
        inspect();
      }
    }
  }

  private void inspect() throws IOException {
    if (allZero()) {
      return; // end-of-archive blocks (two of them), or padding
    }
    String name = name();
    char type = (char) header[156];
    long size = size(name);
    switch (type) {
      case '0', '\0', '7', '5' -> {}
      case 'L', 'x', 'g', 'X' -> {
        if (size > maxHeaderBytes) {
          throw new Refused(
              name,
              "has a "
                  + size
                  + "-byte name or extended header (the limit is "
                  + maxHeaderBytes
                  + ")");
        }
      }
      case '1' -> throw new Refused(name, "is a hard link");
      case '2', 'K' -> throw new Refused(name, "is a symbolic link");
      case '3', '4' -> throw new Refused(name, "is a device");
      case '6' -> throw new Refused(name, "is a FIFO");
      case 'S' -> throw new Refused(name, "is a GNU sparse file");
      default ->
          throw new Refused(
              name, "has tar entry type '" + type + "', which is not a file or folder");
    }
    dataLeft = (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  private boolean allZero() {
    for (byte b : header) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private String name() {
    int end = 0;
    while (end < 100 && header[end] != 0) {
      end++;
    }
    return new String(header, 0, end, StandardCharsets.UTF_8);
  }

  /** The size field: octal digits, or big-endian base-256 when its first byte's top bit is set. */
  private long size(String name) throws IOException {
    if ((header[124] & 0x80) != 0) {
      long value = header[124] & 0x7f;
      for (int i = 125; i < 136; i++) {
        if (value > (Long.MAX_VALUE >> 8)) {
          throw new Refused(name, "declares an impossible size");
        }
        value = (value << 8) | (header[i] & 0xff);
      }
      return value;
    }
    long value = 0;
    for (int i = 124; i < 136; i++) {
      byte b = header[i];
      if (b == 0 || b == ' ') {
        if (value > 0) {
          break;
        }
        continue;
      }
      if (b < '0' || b > '7') {
        throw new Refused(name, "has a corrupt header");
      }
      value = value * 8 + (b - '0');
    }
    return value;
  }
}
