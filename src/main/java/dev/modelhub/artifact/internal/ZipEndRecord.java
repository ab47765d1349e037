package dev.modelhub.artifact.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Counts a zip's entries the way a zip reader will find them — from the end-of-central-directory
 * record (or the ZIP64 one) to the central directory, then header by header for as long as the
 * headers go on, whatever the end record claims — stopping as soon as there are more than allowed.
 * A zip reader keeps every entry of the central directory in memory, so this runs first.
 */
public final class ZipEndRecord {

  private static final int END = 0x06054b50;
  private static final int ZIP64_LOCATOR = 0x07064b50;
  private static final int ZIP64_END = 0x06064b50;
  private static final int CENTRAL_HEADER = 0x02014b50;
  private static final int MAX_COMMENT = 0xffff;

  private ZipEndRecord() {}

  /**
   * The number of central-directory entries, counted up to {@code max + 1}; -1 when the zip has no
   * end record or its central directory lies outside the file (it is corrupt).
   */
  public static long countEntries(Path zip, long max) throws IOException {
    try (FileChannel channel = FileChannel.open(zip, StandardOpenOption.READ)) {
      long directory = directoryOffset(channel);
      if (directory < 0) {
        return -1;
      }
      long size = channel.size();
      ByteBuffer header = ByteBuffer.allocate(46).order(ByteOrder.LITTLE_ENDIAN);
      long count = 0;
      long at = directory;
      while (at + 46 <= size) {
        header.clear();
        channel.read(header, at);
        if (header.getInt(0) != CENTRAL_HEADER) {
          break;
        }
        if (++count > max) {
          return count;
        }
        at +=
            46L
                + (header.getShort(28) & 0xffff)
                + (header.getShort(30) & 0xffff)
                + (header.getShort(32) & 0xffff);
      }
      return count;
    }
  }

  /** Where the central directory starts, by the end record (or the ZIP64 one); -1 if unknown. */
  private static long directoryOffset(FileChannel channel) throws IOException {
    long size = channel.size();
    int tail = (int) Math.min(size, 22L + MAX_COMMENT + 20);
    ByteBuffer buffer = ByteBuffer.allocate(tail).order(ByteOrder.LITTLE_ENDIAN);
    channel.read(buffer, size - tail);
    for (int at = tail - 22; at >= 0; at--) {
      if (buffer.getInt(at) != END) {
        continue;
      }
      long offset = buffer.getInt(at + 16) & 0xffffffffL;
      if (offset == 0xffffffffL && at >= 20 && buffer.getInt(at - 20) == ZIP64_LOCATOR) {
        long zip64End = buffer.getLong(at - 20 + 8);
        if (zip64End < 0 || zip64End > size - 56) {
          return -1;
        }
        ByteBuffer record = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
        channel.read(record, zip64End);
        if (record.getInt(0) != ZIP64_END) {
          return -1;
        }
        offset = record.getLong(48);
      }
      return offset >= 0 && offset <= size ? offset : -1;
    }
    return -1;
  }
}
