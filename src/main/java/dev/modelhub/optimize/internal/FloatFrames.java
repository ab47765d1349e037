package dev.modelhub.optimize.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Float arrays in the files a job's processes exchange (requests, checkpoints): a length, then the
 * values big-endian, copied a block at a time so that no second copy of a large array is made.
 */
final class FloatFrames {

  private static final int BLOCK = 1 << 16;

  private FloatFrames() {}

  /** Writes the length, then the values. */
  static void write(DataOutputStream out, float[] values) throws IOException {
    out.writeInt(values.length);
    ByteBuffer block = ByteBuffer.allocate(BLOCK * Float.BYTES);
    for (int start = 0; start < values.length; start += BLOCK) {
      int n = Math.min(BLOCK, values.length - start);
      block.clear();
      block.asFloatBuffer().put(values, start, n);
      out.write(block.array(), 0, n * Float.BYTES);
    }
  }

  /**
   * Reads a length and as many values, refusing a length above {@code max}.
   *
   * @throws IOException the length is negative or above {@code max}, or the data ends early
   */
  static float[] read(DataInputStream in, long max) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > max) {
      throw new IOException("an array of " + length + " values where at most " + max + " fit");
    }
    float[] values = new float[length];
    byte[] block = new byte[BLOCK * Float.BYTES];
    for (int start = 0; start < length; start += BLOCK) {
      int n = Math.min(BLOCK, length - start);
      in.readFully(block, 0, n * Float.BYTES);
      ByteBuffer.wrap(block, 0, n * Float.BYTES).asFloatBuffer().get(values, start, n);
    }
    return values;
  }

  static void readFullyOrThrow(DataInputStream in, byte[] bytes) throws IOException {
    try {
      in.readFully(bytes);
    } catch (EOFException e) {
      throw new IOException("the file ends early", e);
    }
  }
}
