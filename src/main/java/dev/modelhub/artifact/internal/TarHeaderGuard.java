package dev.modelhub.artifact.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Watches a tar stream's headers as they pass on their way to the tar reader, and stops the stream
 * at a header that may not be unpacked — before the reader acts on it and before anything is
 * written: entry types other than files and folders (links, devices, FIFOs, GNU sparse files,
 * volume and multi-volume headers), long-name or PAX headers larger than {@code maxHeaderBytes} (a
 * tar reader holds them in memory whole), PAX records that would make the reader skip differently
 * than this guard ({@code size} or sparse records in a global header; a local {@code size} is the
 * size this guard skips by, as the reader does), and more than {@code maxStreamBytes} of stream in
 * all, so a small compressed archive cannot make the server decompress without end.
 */
public final class TarHeaderGuard extends WatchedStream {

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

  private static final int MAX_GLOBAL_HEADERS = 16;

  private final long maxHeaderBytes;
  private final long maxStreamBytes;
  private final byte[] header = new byte[BLOCK];
  private int headerFill;
  private long dataLeft;
  private long total;
  private int globalHeaders;
  private boolean ended;

  /** The PAX records being read (a PAX header's data), or null outside one. */
  private ByteArrayOutputStream pax;

  private long paxLeft;
  private String paxEntry;
  private boolean paxGlobal;

  /** The size a PAX header gave the next entry, or -1. */
  private long nextSize = -1;

  public TarHeaderGuard(InputStream in, long maxHeaderBytes, long maxStreamBytes) {
    super(in);
    this.maxHeaderBytes = maxHeaderBytes;
    this.maxStreamBytes = maxStreamBytes;
  }

  @Override
  protected void watch(byte[] buffer, int offset, int length) throws IOException {
    total += length;
    if (total > maxStreamBytes) {
      throw new Refused("", "is larger than the archive may unpack to");
    }
    int i = offset;
    int end = offset + length;
    while (i < end && !ended) {
      if (dataLeft > 0) {
        int take = (int) Math.min(dataLeft, end - i);
        if (pax != null && paxLeft > 0) {
          int keep = (int) Math.min(paxLeft, take);
          pax.write(buffer, i, keep);
          paxLeft -= keep;
          if (paxLeft == 0) {
            readPaxRecords();
          }
        }
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
      case '0', '\0', '7', '5' -> {
        if (nextSize >= 0) {
          size = nextSize; // the PAX header's size is the one a tar reader skips by
          nextSize = -1;
        }
      }
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
        if (type == 'g' && ++globalHeaders > MAX_GLOBAL_HEADERS) {
          throw new Refused(name, "is one global header too many");
        }
        if (type != 'L') {
          pax = new ByteArrayOutputStream((int) size);
          paxLeft = size;
          paxEntry = name;
          paxGlobal = type == 'g';
          if (size == 0) {
            readPaxRecords();
          }
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

  /** Reads a PAX header's records ("LEN key=value"), keeping the size it gives the next entry. */
  private void readPaxRecords() throws IOException {
    String records = pax.toString(StandardCharsets.UTF_8);
    pax = null;
    for (String record : records.split("\n")) {
      int space = record.indexOf(' ');
      int equals = record.indexOf('=');
      if (space < 0 || equals < space) {
        continue;
      }
      String key = record.substring(space + 1, equals);
      if (key.startsWith("GNU.sparse") || (paxGlobal && key.equals("size"))) {
        throw new Refused(paxEntry, "has a PAX '" + key + "' record this server does not accept");
      }
      if (key.equals("size")) {
        try {
          nextSize = Long.parseLong(record.substring(equals + 1).strip());
        } catch (NumberFormatException e) {
          throw new Refused(paxEntry, "has a corrupt PAX size");
        }
        if (nextSize < 0) {
          throw new Refused(paxEntry, "has a negative PAX size");
        }
      }
    }
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
