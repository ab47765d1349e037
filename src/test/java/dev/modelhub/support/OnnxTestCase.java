package dev.modelhub.support;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelhub.common.HalfFloats;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.onnx.ValueInfoProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One case of ONNX's backend test data (as Debian's {@code libonnx-testdata} installs it): a folder
 * with {@code model.onnx} and {@code test_data_set_0/input_N.pb}, {@code output_N.pb} — serialized
 * {@code TensorProto}s holding the inputs and the reference outputs.
 */
public record OnnxTestCase(
    String name, byte[] model, List<Value> inputs, List<Value> outputs, String unreadable) {

  /**
   * A tensor of the case, decoded.
   *
   * @param onnxType ONNX element type (1 FLOAT … 16 BFLOAT16)
   * @param data double[] (reals), long[] (integers; UINT64 as its two's complement bits),
   *     boolean[], or String[]
   */
  public record Value(String name, int onnxType, long[] shape, Object data) {

    /** The Open Inference Protocol datatype, or null when OIP has none. */
    public String datatype() {
      return switch (onnxType) {
        case 1 -> "FP32";
        case 2 -> "UINT8";
        case 3 -> "INT8";
        case 4 -> "UINT16";
        case 5 -> "INT16";
        case 6 -> "INT32";
        case 7 -> "INT64";
        case 8 -> "BYTES";
        case 9 -> "BOOL";
        case 10 -> "FP16";
        case 11 -> "FP64";
        case 12 -> "UINT32";
        case 13 -> "UINT64";
        case 16 -> "BF16";
        default -> null;
      };
    }

    public int length() {
      return java.lang.reflect.Array.getLength(data);
    }
  }

  /** Reads a case folder; a case whose data this reader cannot decode says why in unreadable. */
  public static OnnxTestCase read(Path dir) {
    String name = dir.getFileName().toString();
    try {
      byte[] model = Files.readAllBytes(dir.resolve("model.onnx"));
      ModelProto proto = ModelProto.parseFrom(model);
      Set<String> initializers =
          proto.getGraph().getInitializerList().stream()
              .map(TensorProto::getName)
              .collect(Collectors.toSet());
      List<String> inputNames =
          proto.getGraph().getInputList().stream()
              .map(ValueInfoProto::getName)
              .filter(n -> !initializers.contains(n))
              .toList();
      List<String> outputNames =
          proto.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList();
      Path data = dir.resolve("test_data_set_0");
      return new OnnxTestCase(
          name,
          model,
          values(data, "input", inputNames),
          values(data, "output", outputNames),
          null);
    } catch (IOException | RuntimeException e) {
      byte[] model = new byte[0];
      try {
        model = Files.readAllBytes(dir.resolve("model.onnx"));
      } catch (IOException ignored) {
        // reported below
      }
      return new OnnxTestCase(name, model, List.of(), List.of(), e.toString());
    }
  }

  private static List<Value> values(Path dir, String prefix, List<String> names)
      throws IOException {
    List<Value> values = new ArrayList<>();
    for (int i = 0; ; i++) {
      Path file = dir.resolve(prefix + "_" + i + ".pb");
      if (!Files.exists(file)) {
        break;
      }
      TensorProto tensor;
      try {
        tensor = TensorProto.parseFrom(Files.readAllBytes(file));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(
            file.getFileName() + " is not a TensorProto (a sequence or optional value)");
      }
      String name =
          tensor.getName().isEmpty() && i < names.size() ? names.get(i) : tensor.getName();
      values.add(decode(name, tensor));
    }
    return values;
  }

  static Value decode(String name, TensorProto t) {
    int type = t.getDataType();
    long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    int count = Math.toIntExact(n);
    ByteBuffer raw =
        t.hasRawData()
            ? t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
            : null;
    Object data =
        switch (type) {
          case 1 -> {
            double[] v = new double[count];
            for (int i = 0; i < count; i++) {
              v[i] = raw != null ? raw.getFloat(i * 4) : t.getFloatData(i);
            }
            yield v;
          }
          case 11 -> {
            double[] v = new double[count];
            for (int i = 0; i < count; i++) {
              v[i] = raw != null ? raw.getDouble(i * 8) : t.getDoubleData(i);
            }
            yield v;
          }
          case 10, 16 -> {
            double[] v = new double[count];
            for (int i = 0; i < count; i++) {
              short bits = raw != null ? raw.getShort(i * 2) : (short) t.getInt32Data(i);
              v[i] =
                  type == 10
                      ? HalfFloats.fromHalf(bits)
                      : Float.intBitsToFloat((bits & 0xffff) << 16);
            }
            yield v;
          }
          case 2, 3, 4, 5, 6 -> {
            long[] v = new long[count];
            for (int i = 0; i < count; i++) {
              v[i] =
                  raw == null
                      ? t.getInt32Data(i)
                      : switch (type) {
                        case 2 -> raw.get(i) & 0xff;
                        case 3 -> raw.get(i);
                        case 4 -> raw.getShort(i * 2) & 0xffff;
                        case 5 -> raw.getShort(i * 2);
                        default -> raw.getInt(i * 4);
                      };
            }
            yield v;
          }
          case 7 -> {
            long[] v = new long[count];
            for (int i = 0; i < count; i++) {
              v[i] = raw != null ? raw.getLong(i * 8) : t.getInt64Data(i);
            }
            yield v;
          }
          case 12, 13 -> {
            long[] v = new long[count];
            for (int i = 0; i < count; i++) {
              v[i] =
                  raw == null
                      ? t.getUint64Data(i)
                      : type == 12 ? raw.getInt(i * 4) & 0xffffffffL : raw.getLong(i * 8);
            }
            yield v;
          }
          case 9 -> {
            boolean[] v = new boolean[count];
            for (int i = 0; i < count; i++) {
              v[i] = raw != null ? raw.get(i) != 0 : t.getInt32Data(i) != 0;
            }
            yield v;
          }
          case 8 -> {
            String[] v = new String[count];
            for (int i = 0; i < count; i++) {
              v[i] = t.getStringData(i).toString(StandardCharsets.UTF_8);
            }
            yield v;
          }
          default -> throw new IllegalArgumentException("element type " + type + " is not read");
        };
    return new Value(name, type, shape, data);
  }

  /** Reads every case folder under {@code root} (sorted by name). */
  public static List<OnnxTestCase> all(Path root) {
    try (var dirs = Files.list(root)) {
      return dirs.filter(d -> Files.exists(d.resolve("model.onnx")))
          .sorted()
          .map(OnnxTestCase::read)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
