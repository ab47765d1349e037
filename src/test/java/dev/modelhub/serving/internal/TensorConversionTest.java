package dev.modelhub.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.common.HalfFloats;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorConversionTest {

  @Test
  void half_precision_round_trips_exactly_representable_values() {
    for (float value :
        new float[] {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, 0.333251953125f}) {
      assertThat(HalfFloats.fromHalf(HalfFloats.toHalf(value))).isEqualTo(value);
    }
  }

  @Test
  void half_precision_rounds_to_nearest_and_saturates_to_infinity() {
    // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to even (1).
    assertThat(HalfFloats.fromHalf(HalfFloats.toHalf(1f + 0x1p-11f))).isEqualTo(1f);
    assertThat(HalfFloats.fromHalf(HalfFloats.toHalf(1f + 0x1p-11f + 0x1p-20f)))
        .isEqualTo(1f + 0x1p-10f);
    assertThat(HalfFloats.fromHalf(HalfFloats.toHalf(70000f))).isInfinite();
    assertThat(HalfFloats.fromHalf(HalfFloats.toHalf(Float.NaN))).isNaN();
    assertThat(HalfFloats.fromHalf(HalfFloats.toHalf(1e-9f))).isZero();
  }

  @Test
  void bfloat16_keeps_the_top_half_of_a_float_rounded() {
    assertThat(HalfFloats.toBfloat16(1f)).isEqualTo((short) 0x3f80);
    assertThat(HalfFloats.toBfloat16(-2f)).isEqualTo((short) 0xc000);
    assertThat(Float.intBitsToFloat(HalfFloats.toBfloat16(3.14159f) << 16)).isEqualTo(3.140625f);
  }

  @Test
  void engines_are_only_given_datatypes_they_take() {
    assertThat(TensorConversion.supported(ModelFormat.TORCHSCRIPT, Datatype.BF16)).isFalse();
    assertThat(TensorConversion.supported(ModelFormat.TORCHSCRIPT, Datatype.INT16)).isFalse();
    assertThat(TensorConversion.supported(ModelFormat.ONNX, Datatype.BF16)).isTrue();
    assertThat(TensorConversion.supported(ModelFormat.SAVED_MODEL, Datatype.FP16)).isFalse();
    for (ModelFormat format : ModelFormat.values()) {
      assertThat(TensorConversion.supported(format, Datatype.FP32)).isTrue();
      // ONNX Runtime takes every OIP datatype (through its own API where DJL cannot); the others
      // take no INT16, unsigned type beyond UINT8, or BYTES.
      for (Datatype type :
          List.of(
              Datatype.INT16, Datatype.UINT16, Datatype.UINT32, Datatype.UINT64, Datatype.BYTES)) {
        assertThat(TensorConversion.supported(format, type))
            .as(format + " " + type)
            .isEqualTo(format == ModelFormat.ONNX);
      }
    }
  }
}
