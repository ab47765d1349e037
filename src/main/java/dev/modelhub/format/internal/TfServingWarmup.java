package dev.modelhub.format.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import dev.modelhub.format.Datatype;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads TF Serving's warm-up file, {@code assets.extra/tf_serving_warmup_requests} in a SavedModel:
 * a TFRecord file of {@code PredictionLog}s. The first {@code predict_log} whose request is for the
 * default signature becomes the version's warm-up samples (a v2 request body), as if uploaded with
 * it. Classify, regress and multi-inference logs are skipped. A file this reader cannot use is
 * ignored: TF Serving's own warm-up is an optimisation, never a reason to refuse a model.
 */
final class TfServingWarmup {

  static final String FILE = "assets.extra/tf_serving_warmup_requests";

  /** TF Serving reads at most 1000 records; a larger record than this is not a warm-up request. */
  private static final int MAX_RECORDS = 1000;

  private static final int MAX_RECORD_BYTES = 64 << 20;

  /** All inputs of the request together: as warm-up samples go, generous; as memory, bounded. */
  private static final int MAX_ELEMENTS = 1 << 20;

  private static final int MAX_TEXT_BYTES = 16 << 20;

  private TfServingWarmup() {}

  /** The samples in {@code modelDir}'s warm-up file, if it has one this reader can use. */
  static Optional<JsonNode> read(Path modelDir, String defaultSignature) {
    Path file = modelDir.resolve(FILE);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      for (int i = 0; i < MAX_RECORDS; i++) {
        byte[] record = nextRecord(in);
        if (record == null) {
          return Optional.empty();
        }
        Optional<JsonNode> samples = predictRequest(record, defaultSignature);
        if (samples.isPresent()) {
          return samples;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not a usable warm-up file: the model is served with generated warm-up inputs
    }
    return Optional.empty();
  }

  /** One TFRecord: length (8 bytes), its CRC, the data, its CRC; null at the end. */
  private static byte[] nextRecord(InputStream in) throws IOException {
    byte[] header = in.readNBytes(12);
    if (header.length < 12) {
      return null;
    }
    long length = ByteBuffer.wrap(header, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (length < 0 || length > MAX_RECORD_BYTES) {
      throw new IOException("record of " + length + " bytes");
    }
    byte[] data = in.readNBytes((int) length);
    byte[] crc = in.readNBytes(4);
    if (data.length != length || crc.length != 4) {
      throw new IOException("truncated record");
    }
    if (ByteBuffer.wrap(crc).order(ByteOrder.LITTLE_ENDIAN).getInt() != maskedCrc(data)) {
      throw new IOException("record checksum does not match");
    }
    return data;
  }

  /** TFRecord's checksum: CRC-32C, rotated right by 15 bits plus a constant. */
  static int maskedCrc(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    int value = (int) crc.getValue();
    return ((value >>> 15) | (value << 17)) + 0xa282ead8;
  }

  /** PredictionLog.predict_log (6) → PredictLog.request (1) → PredictRequest. */
  private static Optional<JsonNode> predictRequest(byte[] record, String defaultSignature)
      throws IOException {
    ByteString predictLog = field(ByteString.copyFrom(record), 6);
    ByteString request = predictLog == null ? null : field(predictLog, 1);
    if (request == null) {
      return Optional.empty();
    }
    CodedInputStream in = request.newCodedInput();
    String signature = "";
    Map<String, TensorProto> inputs = new TreeMap<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (tag >>> 3) {
        case 1 -> {
          ByteString spec = field(in.readBytes(), 3); // ModelSpec.signature_name
          signature = spec == null ? "" : spec.toStringUtf8();
        }
        case 2 -> {
          CodedInputStream entry = in.readBytes().newCodedInput();
          String key = null;
          TensorProto value = null;
          int entryTag;
          while ((entryTag = entry.readTag()) != 0) {
            switch (entryTag >>> 3) {
              case 1 -> key = entry.readStringRequireUtf8();
              case 2 -> value = TensorProto.parseFrom(entry.readBytes());
              default -> entry.skipField(entryTag);
            }
          }
          if (key != null && value != null) {
            inputs.put(key, value);
          }
        }
        default -> in.skipField(tag);
      }
    }
    if (!signature.isEmpty() && !signature.equals(defaultSignature) || inputs.isEmpty()) {
      return Optional.empty();
    }
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ArrayNode array = body.putArray("inputs");
    long[] budget = {MAX_ELEMENTS, MAX_TEXT_BYTES};
    for (Map.Entry<String, TensorProto> input : inputs.entrySet()) {
      ObjectNode tensor = tensor(input.getKey(), input.getValue(), budget);
      if (tensor == null) {
        return Optional.empty();
      }
      array.add(tensor);
    }
    return Optional.of(body);
  }

  /** The last occurrence of length-delimited field {@code number} in {@code message}, or null. */
  private static ByteString field(ByteString message, int number) throws IOException {
    CodedInputStream in = message.newCodedInput();
    ByteString found = null;
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (tag >>> 3 == number && (tag & 7) == 2) {
        found = in.readBytes();
      } else {
        in.skipField(tag);
      }
    }
    return found;
  }

  /**
   * A v2 input from a TensorFlow tensor; null for a type or layout this reader does not take, or
   * past what is left of {@code budget} (elements, then bytes of text, for the whole request).
   */
  private static ObjectNode tensor(String name, TensorProto t, long[] budget) {
    Datatype datatype = Datatypes.fromTensorFlow(t.getDtype());
    long count = 1;
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("name", name);
    node.put("datatype", datatype.name());
    ArrayNode shape = node.putArray("shape");
    for (TensorShapeProto.Dim dim : t.getTensorShape().getDimList()) {
      if (dim.getSize() < 0) {
        return null;
      }
      shape.add(dim.getSize());
      count = Math.multiplyExact(count, dim.getSize());
    }
    budget[0] -= count;
    if (budget[0] < 0) {
      return null;
    }
    int n = (int) count;
    ArrayNode data = node.putArray("data");
    ByteBuffer content = t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    boolean packed = !t.getTensorContent().isEmpty();
    DataType type = t.getDtype();
    for (int i = 0; i < n; i++) {
      switch (type) {
        case DT_FLOAT ->
            data.add(
                packed ? content.getFloat(i * 4) : t.getFloatVal(repeat(i, t.getFloatValCount())));
        case DT_DOUBLE ->
            data.add(
                packed
                    ? content.getDouble(i * 8)
                    : t.getDoubleVal(repeat(i, t.getDoubleValCount())));
        case DT_INT32, DT_INT16, DT_INT8, DT_UINT8, DT_UINT16 ->
            data.add(
                packed ? packedInt(content, type, i) : t.getIntVal(repeat(i, t.getIntValCount())));
        case DT_INT64 ->
            data.add(
                packed ? content.getLong(i * 8) : t.getInt64Val(repeat(i, t.getInt64ValCount())));
        case DT_BOOL ->
            data.add(packed ? content.get(i) != 0 : t.getBoolVal(repeat(i, t.getBoolValCount())));
        case DT_STRING -> {
          ByteString value = t.getStringVal(repeat(i, t.getStringValCount()));
          budget[1] -= value.size();
          if (budget[1] < 0) {
            return null;
          }
          data.add(value.toStringUtf8());
        }
        default -> {
          return null;
        }
      }
    }
    return node;
  }

  /** TensorFlow repeats the last value given when a tensor lists fewer values than it holds. */
  private static int repeat(int i, int given) {
    if (given == 0) {
      throw new IllegalArgumentException("a tensor without values");
    }
    return Math.min(i, given - 1);
  }

  private static long packedInt(ByteBuffer content, DataType type, int i) {
    return switch (type) {
      case DT_INT8 -> content.get(i);
      case DT_UINT8 -> content.get(i) & 0xff;
      case DT_INT16 -> content.getShort(i * 2);
      case DT_UINT16 -> content.getShort(i * 2) & 0xffff;
      default -> content.getInt(i * 4);
    };
  }
}
