package dev.modelhub.format.internal;

import dev.modelhub.format.Datatype;
import dev.modelhub.onnx.TensorProto;
import org.tensorflow.proto.DataType;

/** Maps ONNX and TensorFlow element types to {@link Datatype}s. */
public final class Datatypes {

  private Datatypes() {}

  /** The datatype of an ONNX {@code TensorProto.DataType} value. */
  public static Datatype fromOnnx(int elemType) {
    TensorProto.DataType type = TensorProto.DataType.forNumber(elemType);
    if (type == null) {
      return Datatype.OTHER;
    }
    return switch (type) {
      case FLOAT -> Datatype.FP32;
      case UINT8 -> Datatype.UINT8;
      case INT8 -> Datatype.INT8;
      case UINT16 -> Datatype.UINT16;
      case INT16 -> Datatype.INT16;
      case INT32 -> Datatype.INT32;
      case INT64 -> Datatype.INT64;
      case STRING -> Datatype.BYTES;
      case BOOL -> Datatype.BOOL;
      case FLOAT16 -> Datatype.FP16;
      case DOUBLE -> Datatype.FP64;
      case UINT32 -> Datatype.UINT32;
      case UINT64 -> Datatype.UINT64;
      case COMPLEX64 -> Datatype.COMPLEX64;
      case COMPLEX128 -> Datatype.COMPLEX128;
      case BFLOAT16 -> Datatype.BF16;
      case FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ -> Datatype.FP8;
      case UINT4, INT4, FLOAT4E2M1 -> Datatype.BITS4;
      case UNDEFINED -> Datatype.OTHER;
    };
  }

  /** The datatype of a TensorFlow {@code DataType}. */
  public static Datatype fromTensorFlow(DataType type) {
    return switch (type) {
      case DT_FLOAT -> Datatype.FP32;
      case DT_DOUBLE -> Datatype.FP64;
      case DT_HALF -> Datatype.FP16;
      case DT_BFLOAT16 -> Datatype.BF16;
      case DT_INT8 -> Datatype.INT8;
      case DT_INT16 -> Datatype.INT16;
      case DT_INT32 -> Datatype.INT32;
      case DT_INT64 -> Datatype.INT64;
      case DT_UINT8 -> Datatype.UINT8;
      case DT_UINT16 -> Datatype.UINT16;
      case DT_UINT32 -> Datatype.UINT32;
      case DT_UINT64 -> Datatype.UINT64;
      case DT_BOOL -> Datatype.BOOL;
      case DT_STRING -> Datatype.BYTES;
      case DT_COMPLEX64 -> Datatype.COMPLEX64;
      case DT_COMPLEX128 -> Datatype.COMPLEX128;
      default -> Datatype.OTHER;
    };
  }
}
