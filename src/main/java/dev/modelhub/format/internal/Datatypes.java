package dev.modelhub.format.internal;

import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.DataType;

/** Maps ONNX and TensorFlow element types to Open Inference Protocol datatype names. */
public final class Datatypes {

  /** The datatypes of the Open Inference Protocol v2. */
  public static final Set<String> OPEN_INFERENCE =
      Set.of(
          "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16",
          "FP32", "FP64", "BYTES", "BF16");

  private static final Map<Integer, String> ONNX =
      Map.ofEntries(
          Map.entry(1, "FP32"),
          Map.entry(2, "UINT8"),
          Map.entry(3, "INT8"),
          Map.entry(4, "UINT16"),
          Map.entry(5, "INT16"),
          Map.entry(6, "INT32"),
          Map.entry(7, "INT64"),
          Map.entry(8, "BYTES"),
          Map.entry(9, "BOOL"),
          Map.entry(10, "FP16"),
          Map.entry(11, "FP64"),
          Map.entry(12, "UINT32"),
          Map.entry(13, "UINT64"),
          Map.entry(14, "COMPLEX64"),
          Map.entry(15, "COMPLEX128"),
          Map.entry(16, "BF16"));

  private static final Map<DataType, String> TENSORFLOW =
      Map.ofEntries(
          Map.entry(DataType.DT_FLOAT, "FP32"),
          Map.entry(DataType.DT_DOUBLE, "FP64"),
          Map.entry(DataType.DT_HALF, "FP16"),
          Map.entry(DataType.DT_BFLOAT16, "BF16"),
          Map.entry(DataType.DT_INT8, "INT8"),
          Map.entry(DataType.DT_INT16, "INT16"),
          Map.entry(DataType.DT_INT32, "INT32"),
          Map.entry(DataType.DT_INT64, "INT64"),
          Map.entry(DataType.DT_UINT8, "UINT8"),
          Map.entry(DataType.DT_UINT16, "UINT16"),
          Map.entry(DataType.DT_UINT32, "UINT32"),
          Map.entry(DataType.DT_UINT64, "UINT64"),
          Map.entry(DataType.DT_BOOL, "BOOL"),
          Map.entry(DataType.DT_STRING, "BYTES"));

  private Datatypes() {}

  /** The datatype name of an ONNX {@code TensorProto.DataType} value. */
  public static String fromOnnx(int elemType) {
    return ONNX.getOrDefault(elemType, "ONNX_TYPE_" + elemType);
  }

  /** The datatype name of a TensorFlow {@code DataType}. */
  public static String fromTensorFlow(DataType type) {
    return TENSORFLOW.getOrDefault(type, type.name());
  }
}
