package dev.modelhub.serving.internal;

import static dev.modelhub.format.Datatype.BF16;
import static dev.modelhub.format.Datatype.BOOL;
import static dev.modelhub.format.Datatype.BYTES;
import static dev.modelhub.format.Datatype.FP16;
import static dev.modelhub.format.Datatype.FP32;
import static dev.modelhub.format.Datatype.FP64;
import static dev.modelhub.format.Datatype.INT16;
import static dev.modelhub.format.Datatype.INT32;
import static dev.modelhub.format.Datatype.INT64;
import static dev.modelhub.format.Datatype.INT8;
import static dev.modelhub.format.Datatype.UINT16;
import static dev.modelhub.format.Datatype.UINT32;
import static dev.modelhub.format.Datatype.UINT64;
import static dev.modelhub.format.Datatype.UINT8;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.modelhub.common.HalfFloats;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorBytes;
import dev.modelhub.serving.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** Converts between {@link Tensor}s and DJL NDArrays, datatype by datatype. */
final class TensorConversion {

  /**
   * Datatypes each engine takes, probed on this project's machines: through DJL 0.36, and for ONNX
   * the rest through ONNX Runtime's own API ({@link OrtOnnx}: INT16, BYTES, and UINT16/32/64 cast
   * from and to INT32/INT64 carriers). PyTorch's native code aborts the whole process on BF16,
   * INT16 and UINT16/32/64 tensors, so those must never reach it; the others raise an exception.
   */
  private static final Map<ModelFormat, Set<Datatype>> ENGINE_DATATYPES =
      Map.of(
          ModelFormat.ONNX,
          EnumSet.of(
              FP32, FP64, FP16, BF16, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64,
              BOOL, BYTES),
          ModelFormat.TORCHSCRIPT,
          EnumSet.of(FP32, FP64, FP16, UINT8, INT8, INT32, INT64, BOOL),
          ModelFormat.SAVED_MODEL,
          EnumSet.of(FP32, FP64, UINT8, INT8, INT32, INT64, BOOL));

  private TensorConversion() {}

  /** Whether {@code format}'s engine can take and return tensors of {@code datatype}. */
  static boolean supported(ModelFormat format, Datatype datatype) {
    return ENGINE_DATATYPES.get(format).contains(datatype);
  }

  /** The datatypes {@code format}'s engine takes, for error messages. */
  static Set<Datatype> supportedBy(ModelFormat format) {
    return ENGINE_DATATYPES.get(format);
  }

  private static DataType toDjl(Datatype datatype) {
    return switch (datatype) {
      case BOOL -> DataType.BOOLEAN;
      case UINT8 -> DataType.UINT8;
      case UINT16 -> DataType.UINT16;
      case UINT32 -> DataType.UINT32;
      case UINT64 -> DataType.UINT64;
      case INT8 -> DataType.INT8;
      case INT16 -> DataType.INT16;
      case INT32 -> DataType.INT32;
      case INT64 -> DataType.INT64;
      case FP16 -> DataType.FLOAT16;
      case BF16 -> DataType.BFLOAT16;
      case FP32 -> DataType.FLOAT32;
      case FP64 -> DataType.FLOAT64;
      default -> throw new IllegalArgumentException(datatype + " cannot be passed to an engine");
    };
  }

  /** An NDArray named like the tensor, holding its elements in the tensor's datatype. */
  static NDArray toNDArray(NDManager manager, Tensor given) {
    DataType type = toDjl(given.datatype());
    // Binary elements go to the engine's buffer as they came (little-endian, like this machine).
    Tensor tensor =
        given.data() instanceof TensorData.Raw && ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN
            ? TensorBytes.numbers(given)
            : given;
    int count = Math.toIntExact(tensor.elementCount());
    ByteBuffer buffer =
        ByteBuffer.allocateDirect(Math.max(1, count * type.getNumOfBytes()))
            .order(ByteOrder.nativeOrder());
    TensorData data = tensor.data();
    if (data instanceof TensorData.Raw raw) {
      buffer.put(raw.bytes());
    } else if (data instanceof TensorData.Reals reals) {
      putFloating(buffer, type, reals.values());
    } else if (data instanceof TensorData.Integers integers) {
      putIntegers(buffer, type, integers.values());
    } else if (data instanceof TensorData.Booleans booleans) {
      for (boolean v : booleans.values()) {
        buffer.put((byte) (v ? 1 : 0));
      }
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
      case FLOAT32 -> new Tensor(name, FP32, shape, reals(widen(array.toFloatArray())));
      case FLOAT64 -> new Tensor(name, FP64, shape, reals(array.toDoubleArray()));
      case FLOAT16, BFLOAT16 ->
          new Tensor(
              name,
              type == DataType.FLOAT16 ? FP16 : BF16,
              shape,
              reals(widen(array.toType(DataType.FLOAT32, false).toFloatArray())));
      case INT64 -> new Tensor(name, INT64, shape, integers(array.toLongArray()));
      case INT32 -> new Tensor(name, INT32, shape, integers(widen(array.toIntArray())));
      case INT8 -> new Tensor(name, INT8, shape, integers(signedBytes(array.toByteArray())));
      case UINT8 -> new Tensor(name, UINT8, shape, integers(unsignedBytes(array.toByteArray())));
      case BOOLEAN ->
          new Tensor(name, BOOL, shape, new TensorData.Booleans(array.toBooleanArray()));
      case INT16 -> new Tensor(name, INT16, shape, integers(wideIntegers(array)));
      case UINT16 -> new Tensor(name, UINT16, shape, integers(wideIntegers(array)));
      case UINT32 -> new Tensor(name, UINT32, shape, integers(wideIntegers(array)));
      case UINT64 -> new Tensor(name, UINT64, shape, integers(wideIntegers(array)));
      default -> throw new IllegalStateException("the model returned a " + type + " tensor");
    };
  }

  private static TensorData reals(double[] values) {
    return new TensorData.Reals(values);
  }

  private static TensorData integers(long[] values) {
    return new TensorData.Integers(values);
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

  private static long[] wideIntegers(NDArray array) {
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
