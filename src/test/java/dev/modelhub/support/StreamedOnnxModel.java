package dev.modelhub.support;

import com.google.protobuf.CodedOutputStream;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.OperatorSetIdProto;
import dev.modelhub.onnx.TensorProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A valid ONNX model of any size, produced as a stream: y = x + w, where w is one FP32 initializer
 * of {@code elements} values. The protobuf framing around w's raw data is written with
 * CodedOutputStream; the data itself is generated on the fly, so neither the test nor the server
 * ever needs the model in memory.
 */
public final class StreamedOnnxModel extends InputStream {

  private static final int GRAPH_FIELD = 7;
  private static final int INITIALIZER_FIELD = 5;
  private static final int RAW_DATA_FIELD = 9;

  private final byte[] prefix;
  private final long dataBytes;
  private final MessageDigest sha256;
  private long position;
  private long state = 0x9E3779B97F4A7C15L;

  public StreamedOnnxModel(long elements) {
    this.dataBytes = elements * 4;
    this.prefix = prefix(elements, dataBytes);
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Total size of the model in bytes. */
  public long size() {
    return prefix.length + dataBytes;
  }

  /** SHA-256 of everything read so far (the whole model once the stream is exhausted). */
  public byte[] digest() {
    return sha256.digest();
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) {
    long remaining = size() - position;
    if (remaining <= 0) {
      return -1;
    }
    int n = (int) Math.min(length, remaining);
    for (int i = 0; i < n; i++) {
      long at = position + i;
      if (at < prefix.length) {
        buffer[offset + i] = prefix[(int) at];
      } else {
        // xorshift: cheap bytes that do not compress, so nothing downstream can shortcut them.
        state ^= state << 13;
        state ^= state >>> 7;
        state ^= state << 17;
        buffer[offset + i] = (byte) state;
      }
    }
    sha256.update(buffer, offset, n);
    position += n;
    return n;
  }

  private static byte[] prefix(long elements, long dataBytes) {
    TensorProto header =
        TensorProto.newBuilder()
            .addDims(elements)
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .setName("w")
            .build();
    GraphProto smallGraph =
        GraphProto.newBuilder()
            .setName("large")
            .addNode(
                NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w").addOutput("y"))
            .addInput(OnnxModels.tensorValue("x", TensorProto.DataType.FLOAT_VALUE, elements))
            .addOutput(OnnxModels.tensorValue("y", TensorProto.DataType.FLOAT_VALUE, elements))
            .build();
    ModelProto model =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .setProducerName("modelhub-tests")
            .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
            .build();
    long tensorLength =
        header.getSerializedSize()
            + CodedOutputStream.computeTagSize(RAW_DATA_FIELD)
            + CodedOutputStream.computeUInt64SizeNoTag(dataBytes)
            + dataBytes;
    long graphLength =
        smallGraph.getSerializedSize()
            + CodedOutputStream.computeTagSize(INITIALIZER_FIELD)
            + CodedOutputStream.computeUInt64SizeNoTag(tensorLength)
            + tensorLength;
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      model.writeTo(out);
      out.writeTag(GRAPH_FIELD, 2);
      out.writeUInt64NoTag(graphLength);
      smallGraph.writeTo(out);
      out.writeTag(INITIALIZER_FIELD, 2);
      out.writeUInt64NoTag(tensorLength);
      header.writeTo(out);
      out.writeTag(RAW_DATA_FIELD, 2);
      out.writeUInt64NoTag(dataBytes);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
