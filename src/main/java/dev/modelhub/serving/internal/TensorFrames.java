package dev.modelhub.serving.internal;

import dev.modelhub.format.Datatype;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorBytes;
import dev.modelhub.serving.TensorData;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary framing between a node and its engine hosts: tensors with their elements as raw
 * big-endian 8-byte words (or one byte per boolean), no JSON. A call is a tensor list; an answer is
 * a status byte, then a tensor list or a message.
 */
final class TensorFrames {

  static final byte OK = 0;
  static final byte REFUSED = 1;

  private static final byte REALS = 0;
  private static final byte INTEGERS = 1;
  private static final byte BOOLEANS = 2;
  private static final byte STRINGS = 3;
  private static final byte RAW = 4;
  private static final int MAX_MESSAGE = 4000;

  private TensorFrames() {}

  static void write(DataOutputStream out, List<Tensor> tensors) throws IOException {
    out.writeInt(tensors.size());
    for (Tensor tensor : tensors) {
      out.writeUTF(tensor.name());
      out.writeUTF(tensor.datatype().name());
      out.writeInt(tensor.shape().length);
      for (long dim : tensor.shape()) {
        out.writeLong(dim);
      }
      TensorData data = tensor.data();
      if (data instanceof TensorData.Raw raw) {
        out.writeByte(RAW);
        out.writeInt(raw.length());
        out.writeByte(raw.width());
        out.write(raw.bytes());
      } else if (data instanceof TensorData.Reals reals) {
        out.writeByte(REALS);
        out.writeInt(reals.values().length);
        byte[] bytes = new byte[reals.values().length * Double.BYTES];
        ByteBuffer.wrap(bytes).asDoubleBuffer().put(reals.values());
        out.write(bytes);
      } else if (data instanceof TensorData.Integers integers) {
        out.writeByte(INTEGERS);
        out.writeInt(integers.values().length);
        byte[] bytes = new byte[integers.values().length * Long.BYTES];
        ByteBuffer.wrap(bytes).asLongBuffer().put(integers.values());
        out.write(bytes);
      } else if (data instanceof TensorData.Booleans booleans) {
        out.writeByte(BOOLEANS);
        out.writeInt(booleans.values().length);
        byte[] bytes = new byte[booleans.values().length];
        for (int i = 0; i < bytes.length; i++) {
          bytes[i] = (byte) (booleans.values()[i] ? 1 : 0);
        }
        out.write(bytes);
      } else if (data instanceof TensorData.Strings strings) {
        out.writeByte(STRINGS);
        out.writeInt(strings.values().length);
        for (String value : strings.values()) {
          byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
          out.writeInt(bytes.length);
          out.write(bytes);
        }
      }
    }
  }

  /**
   * Reads a tensor list; {@code maxElements} bounds what one frame may make this side allocate (all
   * tensors together).
   */
  static List<Tensor> read(DataInputStream in, long maxElements) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > 1024) {
      throw new IOException("bad frame: " + count + " tensors");
    }
    List<Tensor> tensors = new ArrayList<>(count);
    long budget = maxElements;
    // Strings are bounded by their bytes too: as many as the frame's numbers could take.
    long textBudget = maxElements * Long.BYTES;
    for (int t = 0; t < count; t++) {
      String name = in.readUTF();
      Datatype datatype = Datatype.valueOf(in.readUTF());
      int rank = in.readInt();
      if (rank < 0 || rank > 64) {
        throw new IOException("bad frame: rank " + rank);
      }
      long[] shape = new long[rank];
      for (int i = 0; i < rank; i++) {
        shape[i] = in.readLong();
        if (shape[i] < 0) {
          throw new IOException("bad frame: negative dimension");
        }
      }
      byte kind = in.readByte();
      int n = in.readInt();
      budget -= n;
      if (n < 0 || budget < 0 || n > Integer.MAX_VALUE / Long.BYTES) {
        throw new IOException("bad frame: more than " + maxElements + " elements");
      }
      try {
        if (Tensor.elements(shape) != n) {
          throw new IOException("bad frame: shape does not hold " + n + " elements");
        }
      } catch (ArithmeticException overflow) {
        throw new IOException("bad frame: shape overflows");
      }
      TensorData data =
          switch (kind) {
            case REALS -> {
              double[] values = new double[n];
              ByteBuffer.wrap(bytes(in, n * Double.BYTES)).asDoubleBuffer().get(values);
              yield new TensorData.Reals(values);
            }
            case INTEGERS -> {
              long[] values = new long[n];
              ByteBuffer.wrap(bytes(in, n * Long.BYTES)).asLongBuffer().get(values);
              yield new TensorData.Integers(values);
            }
            case BOOLEANS -> {
              byte[] bytes = bytes(in, n);
              boolean[] values = new boolean[n];
              for (int i = 0; i < n; i++) {
                values[i] = bytes[i] != 0;
              }
              yield new TensorData.Booleans(values);
            }
            case RAW -> {
              int width = in.readByte();
              if (datatype == Datatype.BYTES || width != TensorBytes.width(datatype)) {
                throw new IOException("bad frame: element width " + width);
              }
              yield new TensorData.Raw(bytes(in, n * width), width);
            }
            case STRINGS -> {
              String[] values = new String[n];
              for (int i = 0; i < n; i++) {
                int length = in.readInt();
                textBudget -= length;
                if (length < 0 || textBudget < 0) {
                  throw new IOException("bad frame: strings longer than allowed");
                }
                values[i] = new String(bytes(in, length), StandardCharsets.UTF_8);
              }
              yield new TensorData.Strings(values);
            }
            default -> throw new IOException("bad frame: element kind " + kind);
          };
      tensors.add(new Tensor(name, datatype, shape, data));
    }
    return tensors;
  }

  private static byte[] bytes(DataInputStream in, int length) throws IOException {
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  static void writeMessage(DataOutputStream out, byte status, String message) throws IOException {
    out.writeByte(status);
    String text = message == null ? "" : message;
    out.writeUTF(text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE) : text);
  }
}
