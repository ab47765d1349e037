package dev.modelhub.format;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The element type of a model's input or output. The first fourteen are the datatypes of the Open
 * Inference Protocol v2, the ones requests and answers carry; the rest are types the inspectors
 * meet in models (complex numbers, 8- and 4-bit floats, sequences, maps) which no protocol here can
 * carry: a version using them is registered but never served.
 */
public enum Datatype {
  BOOL(Kind.BOOLEAN),
  UINT8(Kind.INTEGER),
  UINT16(Kind.INTEGER),
  UINT32(Kind.INTEGER),
  UINT64(Kind.INTEGER),
  INT8(Kind.INTEGER),
  INT16(Kind.INTEGER),
  INT32(Kind.INTEGER),
  INT64(Kind.INTEGER),
  FP16(Kind.REAL),
  FP32(Kind.REAL),
  FP64(Kind.REAL),
  BYTES(Kind.BYTES),
  BF16(Kind.REAL),
  COMPLEX64(Kind.NONE),
  COMPLEX128(Kind.NONE),
  /** The 8-bit float types (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ). */
  FP8(Kind.NONE),
  /** The 4-bit types (INT4, UINT4, FLOAT4E2M1). */
  BITS4(Kind.NONE),
  SEQUENCE(Kind.NONE),
  MAP(Kind.NONE),
  OPTIONAL(Kind.NONE),
  SPARSE_TENSOR(Kind.NONE),
  /** Any other type (a TensorFlow resource or variant, a type newer than Modelhub knows). */
  OTHER(Kind.NONE);

  /** What a tensor of the type holds, as requests and answers carry it. */
  public enum Kind {
    /** Floating-point numbers. */
    REAL,
    /** Whole numbers. */
    INTEGER,
    /** true/false. */
    BOOLEAN,
    /** Byte strings. */
    BYTES,
    /** Nothing the Open Inference Protocol can carry. */
    NONE
  }

  private final Kind kind;

  Datatype(Kind kind) {
    this.kind = kind;
  }

  /**
   * The least whole number an element holds: 0 for the unsigned types, {@code Long.MIN_VALUE} for
   * INT64 and the types that are not whole numbers.
   */
  public long minWhole() {
    return switch (this) {
      case INT8 -> Byte.MIN_VALUE;
      case INT16 -> Short.MIN_VALUE;
      case INT32 -> Integer.MIN_VALUE;
      case UINT8, UINT16, UINT32, UINT64 -> 0;
      default -> Long.MIN_VALUE;
    };
  }

  /**
   * The greatest whole number an element holds ({@code Long.MAX_VALUE} for INT64, UINT64 — whose
   * upper half travels as a long's bits — and the types that are not whole numbers).
   */
  public long maxWhole() {
    return switch (this) {
      case INT8 -> Byte.MAX_VALUE;
      case INT16 -> Short.MAX_VALUE;
      case INT32 -> Integer.MAX_VALUE;
      case UINT8 -> 0xFF;
      case UINT16 -> 0xFFFF;
      case UINT32 -> 0xFFFF_FFFFL;
      default -> Long.MAX_VALUE;
    };
  }

  public Kind kind() {
    return kind;
  }

  /** Whether the Open Inference Protocol has this datatype. */
  public boolean openInference() {
    return kind != Kind.NONE;
  }

  /** The Open Inference Protocol's datatypes, in its order. */
  public static List<Datatype> openInferenceTypes() {
    return Arrays.stream(values()).filter(Datatype::openInference).toList();
  }

  /** The Open Inference Protocol datatype called {@code name}, if there is one. */
  public static Optional<Datatype> openInference(String name) {
    return Arrays.stream(values())
        .filter(d -> d.openInference() && d.name().equals(name))
        .findFirst();
  }

  /**
   * Reads a datatype by name. Names earlier inspections stored for types without a datatype of
   * their own ({@code UNKNOWN}, {@code ONNX_TYPE_17}, {@code DT_RESOURCE}) read as {@link #OTHER}.
   *
   * @throws IllegalArgumentException any other unknown name (a client's typo, say)
   */
  @JsonCreator
  public static Datatype of(String name) {
    for (Datatype datatype : values()) {
      if (datatype.name().equals(name)) {
        return datatype;
      }
    }
    if (name != null && (name.equals("UNKNOWN") || name.matches("(ONNX_TYPE|DT)_[A-Z0-9_]+"))) {
      return OTHER;
    }
    throw new IllegalArgumentException(
        "unknown datatype '" + name + "'; the datatypes are " + openInferenceTypes());
  }
}
