package dev.modelhub.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes NumPy .npz files (a zip of .npy arrays, format 1.0) the way numpy.savez does. */
public final class Npz {

  private final Map<String, byte[]> arrays = new LinkedHashMap<>();

  public Npz float32(String name, long[] shape, float... values) {
    ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      data.putFloat(v);
    }
    return add(name, "<f4", shape, data.array());
  }

  public Npz int32(String name, long[] shape, int... values) {
    ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      data.putInt(v);
    }
    return add(name, "<i4", shape, data.array());
  }

  public Npz int64(String name, long[] shape, long... values) {
    ByteBuffer data = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      data.putLong(v);
    }
    return add(name, "<i8", shape, data.array());
  }

  private Npz add(String name, String descr, long[] shape, byte[] data) {
    String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
    if (shape.length == 1) {
      dims += ",";
    }
    StringBuilder header =
        new StringBuilder(
            "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }");
    while ((10 + header.length() + 1) % 64 != 0) {
      header.append(' ');
    }
    header.append('\n');
    ByteArrayOutputStream npy = new ByteArrayOutputStream();
    npy.write(0x93);
    npy.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
    npy.write(1);
    npy.write(0);
    npy.write(header.length() & 0xff);
    npy.write(header.length() >> 8);
    npy.writeBytes(header.toString().getBytes(StandardCharsets.US_ASCII));
    npy.writeBytes(data);
    arrays.put(name + ".npy", npy.toByteArray());
    return this;
  }

  public byte[] bytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> array : arrays.entrySet()) {
        zip.putNextEntry(new ZipEntry(array.getKey()));
        zip.write(array.getValue());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
