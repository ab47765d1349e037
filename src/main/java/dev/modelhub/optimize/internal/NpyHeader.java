package dev.modelhub.optimize.internal;

import dev.modelhub.format.Datatype;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header of a NumPy {@code .npy} array, read and checked before any decoder sees the file: the
 * magic, a header of bounded length, a supported little-endian element type, C order, and a shape
 * whose elements take exactly the bytes that follow. A decoder trusting the header can then never
 * be made to allocate more than the file holds.
 *
 * @param datatype the element type
 * @param shape the dimensions
 */
record NpyHeader(Datatype datatype, long[] shape) {

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int MAX_HEADER = 64 * 1024;

  /** NumPy type strings this reads, and their datatypes. */
  static final Map<String, Datatype> TYPES =
      Map.of(
          "<f4", Datatype.FP32,
          "<f8", Datatype.FP64,
          "<i4", Datatype.INT32,
          "<i8", Datatype.INT64,
          "|i1", Datatype.INT8,
          "|u1", Datatype.UINT8,
          "|b1", Datatype.BOOL);

  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /**
   * Reads and checks the header of {@code file}, shown as {@code name} in refusals.
   *
   * @throws dev.modelhub.common.UnprocessableException anything wrong with it (422)
   */
  static NpyHeader read(Path file, String name) throws IOException {
    long size = Files.size(file);
    String where = "Array '" + name + "'";
    try (InputStream in = Files.newInputStream(file)) {
      byte[] start = in.readNBytes(8);
      if (start.length < 8 || !Arrays.equals(start, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
        throw Dataset.invalid(where + " is not a NumPy .npy array.");
      }
      int major = start[6];
      int lengthBytes = major == 1 ? 2 : major == 2 || major == 3 ? 4 : -1;
      if (lengthBytes < 0) {
        throw Dataset.invalid(where + " has .npy format version " + major + "; 1 to 3 are read.");
      }
      byte[] lengthField = in.readNBytes(lengthBytes);
      if (lengthField.length < lengthBytes) {
        throw Dataset.invalid(where + " ends inside its header.");
      }
      ByteBuffer length = ByteBuffer.wrap(lengthField).order(ByteOrder.LITTLE_ENDIAN);
      long headerLength =
          lengthBytes == 2 ? length.getShort() & 0xffff : length.getInt() & 0xffffffffL;
      if (headerLength > MAX_HEADER) {
        throw Dataset.invalid(where + " has a header of " + headerLength + " bytes.");
      }
      byte[] header = in.readNBytes((int) headerLength);
      if (header.length < headerLength) {
        throw Dataset.invalid(where + " ends inside its header.");
      }
      String text =
          new String(header, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
      NpyHeader parsed = parse(text, where);
      long dataOffset = 8 + lengthBytes + headerLength;
      long elements = 1;
      for (long dim : parsed.shape) {
        elements = Math.multiplyExact(elements, dim);
      }
      long bytes = Math.multiplyExact(elements, itemSize(parsed.datatype));
      if (bytes != size - dataOffset) {
        throw Dataset.invalid(
            where
                + " declares "
                + bytes
                + " bytes of elements but holds "
                + (size - dataOffset)
                + ".");
      }
      return parsed;
    } catch (ArithmeticException e) {
      throw Dataset.invalid(where + " declares more elements than any file holds.");
    }
  }

  private static NpyHeader parse(String header, String where) {
    Matcher descr = DESCR.matcher(header);
    Matcher order = ORDER.matcher(header);
    Matcher shape = SHAPE.matcher(header);
    if (!descr.find() || !order.find() || !shape.find()) {
      throw Dataset.invalid(where + " has a header without descr, fortran_order and shape.");
    }
    Datatype datatype = TYPES.get(descr.group(1));
    if (datatype == null) {
      throw Dataset.invalid(
          where
              + " holds '"
              + shown(descr.group(1))
              + "' elements; datasets take "
              + TYPES.keySet().stream().sorted().toList()
              + " (little-endian).");
    }
    if (order.group(1).equals("True")) {
      throw Dataset.invalid(where + " is in Fortran order; save it in C order.");
    }
    List<Long> dims = new ArrayList<>();
    for (String dim : shape.group(1).split(",")) {
      String trimmed = dim.strip();
      if (trimmed.isEmpty()) {
        continue;
      }
      if (!trimmed.matches("\\d{1,18}")) {
        throw Dataset.invalid(where + " has a shape of (" + shown(shape.group(1)) + ").");
      }
      dims.add(Long.parseLong(trimmed));
    }
    if (dims.isEmpty() || dims.size() > 32) {
      throw Dataset.invalid(
          where + " needs 1 to 32 dimensions, samples first; it has " + dims.size() + ".");
    }
    return new NpyHeader(datatype, dims.stream().mapToLong(Long::longValue).toArray());
  }

  static int itemSize(Datatype datatype) {
    return switch (datatype) {
      case FP64, INT64 -> 8;
      case FP32, INT32 -> 4;
      default -> 1;
    };
  }

  private static String shown(String text) {
    return text.length() <= 40 ? text : text.substring(0, 37) + "…";
  }
}
