package dev.modelhub.artifact.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads how many entries a zip declares from its end-of-central-directory record (and the ZIP64 one
 * where present), so that an archive claiming millions of entries is refused before a zip reader
 * allocates anything for them.
 */
public final class ZipEndRecord {

  private static final int END = 0x06054b50;
  private static final int ZIP64_LOCATOR = 0x07064b50;
  private static final int ZIP64_END = 0x06064b50;
  private static final int MAX_COMMENT = 0xffff;

  private ZipEndRecord() {}

  /** The declared entry count, or -1 when no end record is found (a corrupt zip). */
  public static long declaredEntries(Path zip) throws IOException {
    try (FileChannel channel = FileChannel.open(zip, StandardOpenOption.READ)) {
      long size = channel.size();
      int tail = (int) Math.min(size, 22L + MAX_COMMENT + 20);
      ByteBuffer buffer = ByteBuffer.allocate(tail).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(buffer, size - tail);
      for (int at = tail - 22; at >= 0; at--) {
        if (buffer.getInt(at) != END) {
          continue;
        }
        long entries = buffer.getShort(at + 10) & 0xffff;
        if (entries != 0xffff || at < 20 || buffer.getInt(at - 20) != ZIP64_LOCATOR) {
          return entries;
        }
        long zip64End = buffer.getLong(at - 20 + 8);
        if (zip64End < 0 || zip64End > size - 56) {
          return -1;
        }
        ByteBuffer record = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
        channel.read(record, zip64End);
        if (record.getInt(0) != ZIP64_END) {
          return -1;
        }
        long count = record.getLong(32);
        return count < 0 ? Long.MAX_VALUE : count;
      }
      return -1;
    }
  }
}
