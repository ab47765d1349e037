package dev.modelhub.serving;

import dev.modelhub.common.HalfFloats;
import dev.modelhub.format.Datatype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Tensors as the binary protocols carry them (the OIP binary-data extension, gRPC's raw contents):
 * little-endian elements at the datatype's own width, BOOL one byte, BYTES each prefixed by its
 * length as a 4-byte little-endian integer.
 */
public final class TensorBytes {

  private TensorBytes() {}

  /** Bytes one element of {@code datatype} takes; 0 for BYTES, whose elements vary. */
  public static int width(Datatype datatype) {
    return switch (datatype) {
      case BOOL, UINT8, INT8 -> 1;
      case UINT16, INT16, FP16, BF16 -> 2;
      case UINT32, INT32, FP32 -> 4;
      case UINT64, INT64, FP64 -> 8;
      case BYTES -> 0;
      default -> throw new IllegalArgumentException(datatype + " has no binary form");
    };
  }

  /**
   * Reads {@code bytes} as the elements of a tensor {@code name}: fixed-width datatypes as {@link
   * TensorData.Raw} (not copied), BYTES as UTF-8 strings.
   *
   * @throws dev.modelhub.common.InvalidRequestException the bytes cannot be such elements (400)
   */
  public static TensorData read(String name, Datatype datatype, long[] shape, byte[] bytes) {
    long elements;
    try {
      elements = Tensor.elements(shape);
    } catch (ArithmeticException e) {
      throw ServingExceptions.invalidInput("Input '" + name + "' has a shape too large to hold.");
    }
    if (datatype == Datatype.BYTES) {
      return blobs(name, elements, bytes);
    }
    int width = width(datatype);
    if (bytes.length % width != 0 || bytes.length / width != elements) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' has "
              + bytes.length
              + " bytes of binary data; "
              + datatype
              + " with shape "
              + java.util.Arrays.toString(shape)
              + " takes "
              + elements * width
              + ".");
    }
    if (datatype == Datatype.BOOL) {
      // Engines take a BOOL as one byte that is 0 or 1; any other byte is true, as in Triton.
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) (bytes[i] == 0 ? 0 : 1);
      }
    }
    return new TensorData.Raw(bytes, width);
  }

  private static TensorData blobs(String name, long elements, byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (elements > bytes.length / Integer.BYTES) {
      throw ServingExceptions.invalidInput(
          "Input '" + name + "' has too few bytes for " + elements + " BYTES elements.");
    }
    byte[][] values = new byte[(int) elements][];
    for (int i = 0; i < values.length; i++) {
      if (buffer.remaining() < Integer.BYTES) {
        throw ServingExceptions.invalidInput(
            "Input '" + name + "' ends before its element " + i + "'s length.");
      }
      int length = buffer.getInt();
      if (length < 0 || length > buffer.remaining()) {
        throw ServingExceptions.invalidInput(
            "Input '" + name + "' element " + i + " claims " + length + " bytes; fewer remain.");
      }
      values[i] = new byte[length];
      buffer.get(values[i]);
    }
    if (buffer.hasRemaining()) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' has "
              + buffer.remaining()
              + " bytes past its "
              + elements
              + " BYTES elements.");
    }
    return new TensorData.Blobs(values);
  }

  /**
   * {@code tensor} with {@link TensorData.Blobs} elements read as the UTF-8 text engines take;
   * anything else as it is.
   *
   * @throws dev.modelhub.common.InvalidRequestException an element is not UTF-8 (400)
   */
  public static Tensor text(Tensor tensor) {
    if (!(tensor.data() instanceof TensorData.Blobs blobs)) {
      return tensor;
    }
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    String[] values = new String[blobs.values().length];
    for (int i = 0; i < values.length; i++) {
      try {
        values[i] = decoder.decode(ByteBuffer.wrap(blobs.values()[i])).toString();
      } catch (CharacterCodingException e) {
        throw ServingExceptions.invalidInput(
            "Input '"
                + tensor.name()
                + "' element "
                + i
                + " is not UTF-8 text, which BYTES tensors hold (encoded images go to a version"
                + " with a pipeline).");
      }
    }
    return new Tensor(
        tensor.name(), tensor.datatype(), tensor.shape(), new TensorData.Strings(values));
  }

  /**
   * Base64 text as the bytes it encodes; line breaks and spaces (as {@code base64} tools wrap it)
   * are allowed, any other character outside the alphabet is refused rather than skipped.
   *
   * @throws IllegalArgumentException it is not base64
   */
  public static byte[] base64(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean alphabet =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '+'
              || c == '/'
              || c == '='
              || c == '-'
              || c == '_';
      if (!alphabet && !Character.isWhitespace(c)) {
        throw new IllegalArgumentException("'" + c + "' is not a base64 character");
      }
    }
    String compact = text.replaceAll("\\s", "");
    return compact.indexOf('-') >= 0 || compact.indexOf('_') >= 0
        ? Base64.getUrlDecoder().decode(compact)
        : Base64.getDecoder().decode(compact);
  }

  /** A tensor's elements in binary form. */
  public static byte[] write(Tensor tensor) {
    TensorData data = tensor.data();
    if (data instanceof TensorData.Raw raw) {
      return raw.bytes();
    }
    if (data instanceof TensorData.Strings strings) {
      byte[][] encoded = new byte[strings.values().length][];
      int total = 0;
      for (int i = 0; i < encoded.length; i++) {
        encoded[i] = strings.values()[i].getBytes(StandardCharsets.UTF_8);
        total = Math.addExact(total, Integer.BYTES + encoded[i].length);
      }
      ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
      for (byte[] value : encoded) {
        out.putInt(value.length).put(value);
      }
      return out.array();
    }
    Datatype type = tensor.datatype();
    int n = data.length();
    ByteBuffer out =
        ByteBuffer.allocate(Math.multiplyExact(n, width(type))).order(ByteOrder.LITTLE_ENDIAN);
    if (data instanceof TensorData.Reals reals) {
      for (double v : reals.values()) {
        switch (type) {
          case FP32 -> out.putFloat((float) v);
          case FP64 -> out.putDouble(v);
          case FP16 -> out.putShort(HalfFloats.toHalf((float) v));
          case BF16 -> out.putShort(HalfFloats.toBfloat16((float) v));
          default -> throw new IllegalArgumentException(type + " is not a floating type");
        }
      }
    } else if (data instanceof TensorData.Integers integers) {
      for (long v : integers.values()) {
        putWhole(out, width(type), v);
      }
    } else if (data instanceof TensorData.Booleans booleans) {
      for (boolean v : booleans.values()) {
        out.put((byte) (v ? 1 : 0));
      }
    }
    return out.array();
  }

  private static void putWhole(ByteBuffer out, int width, long v) {
    switch (width) {
      case 1 -> out.put((byte) v);
      case 2 -> out.putShort((short) v);
      case 4 -> out.putInt((int) v);
      default -> out.putLong(v);
    }
  }

  /**
   * The elements as numbers, for the code that needs them one by one (JSON answers, engines that
   * take them from arrays): {@link TensorData.Raw} read as reals, whole numbers (unsigned types
   * zero-extended, UINT64 as its bits) or booleans; anything else as it is.
   */
  public static TensorData numbers(Datatype type, TensorData data) {
    if (!(data instanceof TensorData.Raw raw)) {
      return data;
    }
    ByteBuffer in = ByteBuffer.wrap(raw.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    int n = raw.length();
    switch (type.kind()) {
      case REAL -> {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
          values[i] =
              switch (type) {
                case FP32 -> in.getFloat();
                case FP64 -> in.getDouble();
                case FP16 -> HalfFloats.fromHalf(in.getShort());
                default -> Float.intBitsToFloat(in.getShort() << 16);
              };
        }
        return new TensorData.Reals(values);
      }
      case BOOLEAN -> {
        boolean[] values = new boolean[n];
        for (int i = 0; i < n; i++) {
          values[i] = in.get() != 0;
        }
        return new TensorData.Booleans(values);
      }
      default -> {
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
          values[i] =
              switch (type) {
                case INT8 -> in.get();
                case UINT8 -> Byte.toUnsignedLong(in.get());
                case INT16 -> in.getShort();
                case UINT16 -> Short.toUnsignedLong(in.getShort());
                case INT32 -> in.getInt();
                case UINT32 -> Integer.toUnsignedLong(in.getInt());
                default -> in.getLong();
              };
        }
        return new TensorData.Integers(values);
      }
    }
  }

  /** {@code tensor} with its elements as numbers (see {@link #numbers(Datatype, TensorData)}). */
  public static Tensor numbers(Tensor tensor) {
    TensorData data = numbers(tensor.datatype(), tensor.data());
    return data == tensor.data()
        ? tensor
        : new Tensor(tensor.name(), tensor.datatype(), tensor.shape(), data);
  }
}
