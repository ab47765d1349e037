package dev.modelhub.common;

/** IEEE 754 binary16 and bfloat16 conversions (Java 17 has no Float.floatToFloat16). */
public final class HalfFloats {

  private HalfFloats() {}

  /** Rounds a float to the nearest binary16, ties to even; beyond ±65504 becomes infinity. */
  public static short toHalf(float value) {
    int bits = Float.floatToIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int magnitude = bits & 0x7fffffff;
    if (magnitude >= 0x7f800000) { // Inf or NaN
      return (short) (sign | 0x7c00 | (magnitude > 0x7f800000 ? 0x200 : 0));
    }
    if (magnitude >= 0x477ff000) { // rounds past the largest half: infinity
      return (short) (sign | 0x7c00);
    }
    if (magnitude >= 0x38800000) { // normal half
      int rounded = magnitude + 0xfff + ((magnitude >>> 13) & 1);
      return (short) (sign | ((rounded - 0x38000000) >>> 13));
    }
    if (magnitude < 0x33000000) { // below half the smallest subnormal: zero
      return (short) sign;
    }
    int exponent = magnitude >>> 23;
    int mantissa = (magnitude & 0x7fffff) | 0x800000;
    int shift = 126 - exponent;
    int half = mantissa >>> shift;
    int remainder = mantissa & ((1 << shift) - 1);
    int midpoint = 1 << (shift - 1);
    if (remainder > midpoint || (remainder == midpoint && (half & 1) == 1)) {
      half++;
    }
    return (short) (sign | half);
  }

  /** A binary16 as a float (exact). */
  public static float fromHalf(short half) {
    int bits = half & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      float value = mantissa * 0x1p-24f;
      return sign == 0 ? value : -value;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  /** bfloat16: the top half of a float, rounded to nearest even. */
  public static short toBfloat16(float value) {
    int bits = Float.floatToIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }
}
