package dev.modelhub.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.Deflater;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds zip and tar.gz archives in memory, well-formed or deliberately hostile. */
public final class Archives {

  private Archives() {}

  /** A zip of the given entries (name → bytes; a name ending in '/' is a folder). */
  public static byte[] zip(Map<String, byte[]> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
      zip.setLevel(Deflater.BEST_COMPRESSION);
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        zip.putArchiveEntry(new ZipArchiveEntry(entry.getKey()));
        zip.write(entry.getValue());
        zip.closeArchiveEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A zip whose one entry is a Unix symbolic link to {@code target}. */
  public static byte[] zipWithSymlink(String name, String target) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
      ZipArchiveEntry entry = new ZipArchiveEntry(name);
      entry.setUnixMode(0120777);
      zip.putArchiveEntry(entry);
      zip.write(target.getBytes(StandardCharsets.UTF_8));
      zip.closeArchiveEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A zip holding {@code size} zero bytes: tiny compressed, huge unpacked. */
  public static byte[] zipBomb(String name, int size) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put(name, new byte[size]);
    return zip(entries);
  }

  /** A gzipped tar of the given entries (name → bytes; a name ending in '/' is a folder). */
  public static byte[] tarGz(Map<String, byte[]> entries) {
    return tarGz(entries, Map.of(), Map.of());
  }

  /** A gzipped tar with regular entries plus symbolic links and hard links (link name → target). */
  public static byte[] tarGz(
      Map<String, byte[]> entries, Map<String, String> symlinks, Map<String, String> hardLinks) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        TarArchiveEntry tarEntry = new TarArchiveEntry(entry.getKey(), true);
        if (!entry.getKey().endsWith("/")) {
          tarEntry.setSize(entry.getValue().length);
        }
        tar.putArchiveEntry(tarEntry);
        tar.write(entry.getValue());
        tar.closeArchiveEntry();
      }
      for (Map.Entry<String, String> link : symlinks.entrySet()) {
        TarArchiveEntry tarEntry =
            new TarArchiveEntry(link.getKey(), TarArchiveEntry.LF_SYMLINK, true);
        tarEntry.setLinkName(link.getValue());
        tar.putArchiveEntry(tarEntry);
        tar.closeArchiveEntry();
      }
      for (Map.Entry<String, String> link : hardLinks.entrySet()) {
        TarArchiveEntry tarEntry =
            new TarArchiveEntry(link.getKey(), TarArchiveEntry.LF_LINK, true);
        tarEntry.setLinkName(link.getValue());
        tar.putArchiveEntry(tarEntry);
        tar.closeArchiveEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Writes a tar (gzipped when {@code gzip}) with whatever {@code body} puts in it. */
  public static byte[] tar(boolean gzip, TarBody body) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream sink = gzip ? new GzipCompressorOutputStream(bytes) : (OutputStream) bytes;
        TarArchiveOutputStream tar = new TarArchiveOutputStream(sink)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      body.write(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Adds one entry of type {@code linkFlag} holding {@code data}. */
  public static void entry(TarArchiveOutputStream tar, String name, byte linkFlag, byte[] data)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name, linkFlag, true);
    entry.setSize(data.length);
    tar.putArchiveEntry(entry);
    tar.write(data);
    tar.closeArchiveEntry();
  }

  /** What goes into a tar. */
  @FunctionalInterface
  public interface TarBody {
    void write(TarArchiveOutputStream tar) throws IOException;
  }
}
