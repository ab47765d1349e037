package dev.modelhub.optimize.internal;

import dev.modelhub.format.Datatype;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluation data and results between the job worker and its evaluation process: every element in
 * its own type, big-endian, no JSON.
 */
final class EvaluationFrames {

  /** The size of a written comparison: two sides of 25 bytes, then 25 more. */
  static final int COMPARISON_BYTES = 80;

  private EvaluationFrames() {}

  static void write(DataOutputStream out, EvaluationData data) throws IOException {
    out.writeUTF(data.source());
    out.writeInt(data.size());
    out.writeBoolean(data.labels() != null);
    if (data.labels() != null) {
      out.writeInt(data.labels().length);
      for (int label : data.labels()) {
        out.writeInt(label);
      }
    }
    out.writeInt(data.inputs().size());
    for (InputColumn column : data.inputs()) {
      out.writeUTF(column.name());
      out.writeUTF(column.datatype().name());
      out.writeInt(column.sampleShape().length);
      for (long dim : column.sampleShape()) {
        out.writeLong(dim);
      }
      writeBuffer(out, column.values());
    }
  }

  static EvaluationData read(DataInputStream in) throws IOException {
    String source = in.readUTF();
    int size = in.readInt();
    int[] labels = null;
    if (in.readBoolean()) {
      labels = new int[in.readInt()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = in.readInt();
      }
    }
    int count = in.readInt();
    List<InputColumn> inputs = new ArrayList<>(count);
    for (int c = 0; c < count; c++) {
      String name = in.readUTF();
      Datatype datatype = Datatype.valueOf(in.readUTF());
      long[] shape = new long[in.readInt()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = in.readLong();
      }
      inputs.add(new InputColumn(name, datatype, shape, readBuffer(in)));
    }
    return new EvaluationData(inputs, labels, source, size);
  }

  static void write(DataOutputStream out, Evaluator.Comparison comparison) throws IOException {
    write(out, comparison.parent());
    write(out, comparison.variant());
    out.writeBoolean(comparison.top1Agreement() != null);
    out.writeDouble(comparison.top1Agreement() == null ? 0 : comparison.top1Agreement());
    out.writeDouble(comparison.maxAbsDiff());
    out.writeDouble(comparison.meanAbsDiff());
    out.writeInt(comparison.samples());
    out.writeBoolean(comparison.together());
  }

  static Evaluator.Comparison readComparison(DataInputStream in) throws IOException {
    Evaluator.Side parent = readSide(in);
    Evaluator.Side variant = readSide(in);
    boolean agreement = in.readBoolean();
    double top1 = in.readDouble();
    return new Evaluator.Comparison(
        parent,
        variant,
        agreement ? top1 : null,
        in.readDouble(),
        in.readDouble(),
        in.readInt(),
        in.readBoolean());
  }

  private static void write(DataOutputStream out, Evaluator.Side side) throws IOException {
    out.writeBoolean(side.accuracy() != null);
    out.writeDouble(side.accuracy() == null ? 0 : side.accuracy());
    out.writeDouble(side.latencyP50Ms());
    out.writeDouble(side.latencyP95Ms());
  }

  private static Evaluator.Side readSide(DataInputStream in) throws IOException {
    boolean accuracy = in.readBoolean();
    double value = in.readDouble();
    return new Evaluator.Side(accuracy ? value : null, in.readDouble(), in.readDouble());
  }

  /** A buffer's elements from 0 to its limit, with a letter for its element type. */
  private static void writeBuffer(DataOutputStream out, Buffer buffer) throws IOException {
    int n = buffer.limit();
    if (buffer instanceof FloatBuffer b) {
      out.writeByte('F');
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeFloat(b.get(i));
      }
    } else if (buffer instanceof DoubleBuffer b) {
      out.writeByte('D');
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeDouble(b.get(i));
      }
    } else if (buffer instanceof LongBuffer b) {
      out.writeByte('L');
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeLong(b.get(i));
      }
    } else if (buffer instanceof IntBuffer b) {
      out.writeByte('I');
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeInt(b.get(i));
      }
    } else if (buffer instanceof ShortBuffer b) {
      out.writeByte('S');
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeShort(b.get(i));
      }
    } else if (buffer instanceof ByteBuffer b) {
      out.writeByte('B');
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeByte(b.get(i));
      }
    } else {
      throw new IllegalArgumentException("unsupported buffer " + buffer.getClass());
    }
  }

  private static Buffer readBuffer(DataInputStream in) throws IOException {
    char kind = (char) in.readByte();
    int n = in.readInt();
    switch (kind) {
      case 'F' -> {
        FloatBuffer b = FloatBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
          b.put(in.readFloat());
        }
        return b.rewind();
      }
      case 'D' -> {
        DoubleBuffer b = DoubleBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
          b.put(in.readDouble());
        }
        return b.rewind();
      }
      case 'L' -> {
        LongBuffer b = LongBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
          b.put(in.readLong());
        }
        return b.rewind();
      }
      case 'I' -> {
        IntBuffer b = IntBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
          b.put(in.readInt());
        }
        return b.rewind();
      }
      case 'S' -> {
        ShortBuffer b = ShortBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
          b.put(in.readShort());
        }
        return b.rewind();
      }
      case 'B' -> {
        byte[] bytes = new byte[n];
        in.readFully(bytes);
        return ByteBuffer.wrap(bytes);
      }
      default -> throw new IOException("bad evaluation frame: buffer kind " + kind);
    }
  }
}
