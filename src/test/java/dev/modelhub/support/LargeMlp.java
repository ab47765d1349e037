package dev.modelhub.support;

import com.google.protobuf.ByteString;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.OperatorSetIdProto;
import dev.modelhub.onnx.StringStringEntryProto;
import dev.modelhub.onnx.TensorProto;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A large ONNX model of any size, written a row at a time so that neither the test nor anything
 * else ever holds it: y = (x · W1) · W2ᵀ + b, W1 [in, hidden] read by a MatMul, W2 stored [in,
 * hidden] and read by a Gemm with transB (so both storage orders of a weight are there), both of
 * rank {@value #RANK} (so low-rank factoring can be exact), kept as external data in {@code
 * model.onnx.data}. Any weight can be computed again from its indices, and the exact output for an
 * input computed without the weights, through their factors.
 */
public final class LargeMlp {

  public static final int RANK = 8;

  public final int in;
  public final int hidden;
  private final float[][] u1;
  private final float[][] v1;
  private final float[][] u2;
  private final float[][] v2;
  private final float[] bias;

  public LargeMlp(int in, int hidden, long seed) {
    this.in = in;
    this.hidden = hidden;
    Random random = new Random(seed);
    u1 = gaussian(random, in, RANK, 1);
    v1 = gaussian(random, RANK, hidden, 1 / Math.sqrt(RANK * in));
    u2 = gaussian(random, in, RANK, 1);
    v2 = gaussian(random, RANK, hidden, 1 / Math.sqrt((double) RANK * hidden));
    bias = gaussian(random, 1, in, 0.1)[0];
  }

  private static float[][] gaussian(Random random, int rows, int cols, double scale) {
    float[][] m = new float[rows][cols];
    for (float[] row : m) {
      for (int j = 0; j < cols; j++) {
        row[j] = (float) (random.nextGaussian() * scale);
      }
    }
    return m;
  }

  /** W1[i][j]. */
  public float w1(int i, int j) {
    float s = 0;
    for (int r = 0; r < RANK; r++) {
      s += u1[i][r] * v1[r][j];
    }
    return s;
  }

  /** W2[o][j], as stored (the Gemm reads its transpose). */
  public float w2(int o, int j) {
    float s = 0;
    for (int r = 0; r < RANK; r++) {
      s += u2[o][r] * v2[r][j];
    }
    return s;
  }

  /** Bytes of all weights. */
  public long weightBytes() {
    return 2L * in * hidden * 4 + in * 4L;
  }

  /** The output for {@code x} [in], computed through the factors (in double). */
  public double[] forward(float[] x) {
    double[] a = new double[RANK];
    for (int r = 0; r < RANK; r++) {
      for (int i = 0; i < in; i++) {
        a[r] += x[i] * u1[i][r];
      }
    }
    double[] c = new double[RANK];
    for (int j = 0; j < hidden; j++) {
      double h = 0;
      for (int r = 0; r < RANK; r++) {
        h += a[r] * v1[r][j];
      }
      for (int r = 0; r < RANK; r++) {
        c[r] += h * v2[r][j];
      }
    }
    double[] y = new double[in];
    for (int o = 0; o < in; o++) {
      y[o] = bias[o];
      for (int r = 0; r < RANK; r++) {
        y[o] += u2[o][r] * c[r];
      }
    }
    return y;
  }

  /** Writes {@code model.onnx} and {@code model.onnx.data} into {@code dir}; returns the model. */
  public Path write(Path dir) throws IOException {
    Files.createDirectories(dir);
    long w1Bytes = (long) in * hidden * 4;
    try (FileChannel data =
        FileChannel.open(
            dir.resolve("model.onnx.data"),
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer row = ByteBuffer.allocate(hidden * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (int layer = 0; layer < 2; layer++) {
        for (int i = 0; i < in; i++) {
          row.clear();
          for (int j = 0; j < hidden; j++) {
            row.putFloat(layer == 0 ? w1(i, j) : w2(i, j));
          }
          row.flip();
          while (row.hasRemaining()) {
            data.write(row);
          }
        }
      }
      ByteBuffer b = ByteBuffer.allocate(in * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : bias) {
        b.putFloat(v);
      }
      data.write(b.flip());
    }
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("large-mlp")
            .addInput(OnnxModels.tensorValue("x", TensorProto.DataType.FLOAT_VALUE, -1, in))
            .addOutput(OnnxModels.tensorValue("y", TensorProto.DataType.FLOAT_VALUE, -1, in))
            .addInitializer(external("w1", 0, w1Bytes, in, hidden))
            .addInitializer(external("w2", w1Bytes, w1Bytes, in, hidden))
            .addInitializer(external("b", 2 * w1Bytes, in * 4L, in))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("MatMul")
                    .setName("up")
                    .addAllInput(List.of("x", "w1"))
                    .addOutput("h"))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("Gemm")
                    .setName("down")
                    .addAllInput(List.of("h", "w2", "b"))
                    .addOutput("y")
                    .addAttribute(
                        dev.modelhub.onnx.AttributeProto.newBuilder()
                            .setName("transB")
                            .setType(dev.modelhub.onnx.AttributeProto.AttributeType.INT)
                            .setI(1)))
            .build();
    ModelProto model =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .setProducerName("modelhub-tests")
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
            .setGraph(graph)
            .build();
    Path file = dir.resolve("model.onnx");
    Files.write(file, model.toByteArray());
    return file;
  }

  private static TensorProto external(String name, long offset, long length, long... dims) {
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", "model.onnx.data"))
            .addExternalData(entry("offset", Long.toString(offset)))
            .addExternalData(entry("length", Long.toString(length)))
            .setRawData(ByteString.EMPTY);
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  /** A plain tar of the model's folder (model.onnx, model.onnx.data), streamed from the files. */
  public static Path tar(Path modelDir, Path archive) throws IOException {
    try (OutputStream file = Files.newOutputStream(archive);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(file)) {
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (String name : List.of("model.onnx", "model.onnx.data")) {
        Path f = modelDir.resolve(name);
        tar.putArchiveEntry(new TarArchiveEntry(f.toFile(), name));
        Files.copy(f, tar);
        tar.closeArchiveEntry();
      }
    }
    return archive;
  }
}
