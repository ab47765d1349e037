package dev.modelhub.serving.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.modelhub.common.HalfFloats;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.serving.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Set;

/** Converts between {@link Tensor}s and DJL NDArrays, datatype by datatype. */
final class TensorConversion {

  private static final Map<String, DataType> TO_DJL =
      Map.ofEntries(
          Map.entry("BOOL", DataType.BOOLEAN),
          Map.entry("UINT8", DataType.UINT8),
          Map.entry("UINT16", DataType.UINT16),
          Map.entry("UINT32", DataType.UINT32),
          Map.entry("UINT64", DataType.UINT64),
          Map.entry("INT8", DataType.INT8),
          Map.entry("INT16", DataType.INT16),
          Map.entry("INT32", DataType.INT32),
          Map.entry("INT64", DataType.INT64),
          Map.entry("FP16", DataType.FLOAT16),
          Map.entry("BF16", DataType.BFLOAT16),
          Map.entry("FP32", DataType.FLOAT32),
          Map.entry("FP64", DataType.FLOAT64));

  /**
   * Datatypes each engine takes through DJL 0.36, probed on this project's machines. PyTorch's
   * native code aborts the whole process on BF16, INT16 and UINT16/32/64 tensors, so those must
   * never reach it; the others raise an exception. No engine takes INT16.
   */
  private static final Map<ModelFormat, Set<String>> ENGINE_DATATYPES =
      Map.of(
          ModelFormat.ONNX,
          Set.of("FP32", "FP64", "FP16", "BF16", "UINT8", "INT8", "INT32", "INT64", "BOOL"),
          ModelFormat.TORCHSCRIPT,
          Set.of("FP32", "FP64", "FP16", "UINT8", "INT8", "INT32", "INT64", "BOOL"),
          ModelFormat.SAVED_MODEL,
          Set.of("FP32", "FP64", "UINT8", "INT8", "INT32", "INT64", "BOOL"));

  private TensorConversion() {}

  /** Whether {@code format}'s engine can take and return tensors of {@code datatype}. */
  static boolean supported(ModelFormat format, String datatype) {
    return ENGINE_DATATYPES.get(format).contains(datatype);
  }

  /** The datatypes {@code format}'s engine takes, for error messages. */
  static Set<String> supportedBy(ModelFormat format) {
    return new java.util.TreeSet<>(ENGINE_DATATYPES.get(format));
  }

  /** An NDArray named like the tensor, holding its elements in the tensor's datatype. */
  static NDArray toNDArray(NDManager manager, Tensor tensor) {
    DataType type = TO_DJL.get(tensor.datatype());
    int count = Math.toIntExact(tensor.elementCount());
    ByteBuffer buffer =
        ByteBuffer.allocateDirect(Math.max(1, count * type.getNumOfBytes()))
            .order(ByteOrder.nativeOrder());
    Object data = tensor.data();
    if (data instanceof double[] values) {
      putFloating(buffer, type, values);
    } else if (data instanceof long[] values) {
      putIntegers(buffer, type, values);
    } else if (data instanceof boolean[] values) {
      for (boolean v : values) {
        buffer.put((byte) (v ? 1 : 0));
      }
    } else {
      throw new IllegalArgumentException("unsupported tensor data " + data);
    }
    buffer.rewind();
    NDArray array = manager.create(buffer, new Shape(tensor.shape()), type);
    array.setName(tensor.name());
    return array;
  }

  /** A tensor holding an NDArray's elements. */
  static Tensor fromNDArray(String name, NDArray array) {
    DataType type = array.getDataType();
    long[] shape = array.getShape().getShape();
    return switch (type) {
      case FLOAT32 -> new Tensor(name, "FP32", shape, widen(array.toFloatArray()));
      case FLOAT64 -> new Tensor(name, "FP64", shape, array.toDoubleArray());
      case FLOAT16, BFLOAT16 ->
          new Tensor(
              name,
              type == DataType.FLOAT16 ? "FP16" : "BF16",
              shape,
              widen(array.toType(DataType.FLOAT32, false).toFloatArray()));
      case INT64 -> new Tensor(name, "INT64", shape, array.toLongArray());
      case INT32 -> new Tensor(name, "INT32", shape, widen(array.toIntArray()));
      case INT8 -> new Tensor(name, "INT8", shape, signedBytes(array.toByteArray()));
      case UINT8 -> new Tensor(name, "UINT8", shape, unsignedBytes(array.toByteArray()));
      case BOOLEAN -> new Tensor(name, "BOOL", shape, array.toBooleanArray());
      case INT16, UINT16, UINT32, UINT64 ->
          new Tensor(name, openInferenceName(type), shape, integers(array));
      default -> throw new IllegalStateException("the model returned a " + type + " tensor");
    };
  }

  private static void putFloating(ByteBuffer buffer, DataType type, double[] values) {
    for (double v : values) {
      switch (type) {
        case FLOAT32 -> buffer.putFloat((float) v);
        case FLOAT64 -> buffer.putDouble(v);
        case FLOAT16 -> buffer.putShort(HalfFloats.toHalf((float) v));
        case BFLOAT16 -> buffer.putShort(HalfFloats.toBfloat16((float) v));
        default -> throw new IllegalArgumentException(type + " is not a floating type");
      }
    }
  }

  private static void putIntegers(ByteBuffer buffer, DataType type, long[] values) {
    for (long v : values) {
      switch (type.getNumOfBytes()) {
        case 1 -> buffer.put((byte) v);
        case 2 -> buffer.putShort((short) v);
        case 4 -> buffer.putInt((int) v);
        default -> buffer.putLong(v);
      }
    }
  }

  /** FP16/BF16 elements widened by hand: engines without an FP32 cast (ORT alone) can't do it. */
  private static double[] halves(NDArray array, DataType type) {
    ByteBuffer buffer = array.toByteBuffer().order(ByteOrder.nativeOrder());
    double[] values = new double[Math.toIntExact(array.size())];
    for (int i = 0; i < values.length; i++) {
      short bits = buffer.getShort();
      values[i] =
          type == DataType.FLOAT16
              ? HalfFloats.fromHalf(bits)
              : Float.intBitsToFloat((bits & 0xffff) << 16);
    }
    return values;
  }

  private static long[] integers(NDArray array) {
    ByteBuffer buffer = array.toByteBuffer().order(ByteOrder.nativeOrder());
    DataType type = array.getDataType();
    long[] values = new long[Math.toIntExact(array.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] =
          switch (type) {
            case INT16 -> buffer.getShort();
            case UINT16 -> Short.toUnsignedLong(buffer.getShort());
            case UINT32 -> Integer.toUnsignedLong(buffer.getInt());
            default -> buffer.getLong();
          };
    }
    return values;
  }

  private static String openInferenceName(DataType type) {
    return switch (type) {
      case INT16 -> "INT16";
      case UINT16 -> "UINT16";
      case UINT32 -> "UINT32";
      default -> "UINT64";
    };
  }

  private static double[] widen(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static long[] widen(int[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static long[] signedBytes(byte[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static long[] unsignedBytes(byte[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i] & 0xff;
    }
    return out;
  }
}
