package dev.modelhub.format.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import tools.jackson.databind.JsonNode;

/** TF Serving's warm-up file becomes a v2 request body; anything else is ignored, never thrown. */
class TfServingWarmupTest {

  @TempDir Path dir;

  @Test
  void a_predict_log_becomes_the_samples_packed_or_listed_with_repeats() throws Exception {
    TensorProto packed =
        tensor(DataType.DT_FLOAT, 1, 2)
            .setTensorContent(
                ByteString.copyFrom(
                    ByteBuffer.allocate(8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putFloat(1.5f)
                        .putFloat(-2f)
                        .array()))
            .build();
    // TensorFlow repeats the last listed value to fill the shape.
    TensorProto repeated = tensor(DataType.DT_INT64, 3).addInt64Val(7).build();
    TensorProto strings =
        tensor(DataType.DT_STRING, 2)
            .addStringVal(ByteString.copyFromUtf8("a"))
            .addStringVal(ByteString.copyFromUtf8("b"))
            .build();
    // a classify log first (skipped), then the predict log
    write(
        record(field(2, new byte[] {8, 1})), record(predictionLog("", packed, repeated, strings)));

    JsonNode samples = TfServingWarmup.read(dir, "serving_default").orElseThrow();
    assertThat(samples.toString())
        .isEqualTo(
            "{\"inputs\":["
                + "{\"name\":\"in0\",\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[1.5,-2.0]},"
                + "{\"name\":\"in1\",\"datatype\":\"INT64\",\"shape\":[3],\"data\":[7,7,7]},"
                + "{\"name\":\"in2\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"a\",\"b\"]}]}");
  }

  @Test
  void another_signature_a_bad_checksum_or_garbage_is_ignored() throws Exception {
    TensorProto t = tensor(DataType.DT_INT32, 1).addIntVal(3).build();
    write(record(predictionLog("other", t)));
    assertThat(TfServingWarmup.read(dir, "serving_default")).isEmpty();

    byte[] good = record(predictionLog("serving_default", t));
    good[good.length - 1] ^= 1;
    write(good);
    assertThat(TfServingWarmup.read(dir, "serving_default")).isEmpty();

    Random random = new Random(7);
    for (int i = 0; i < 500; i++) {
      byte[] garbage = new byte[random.nextInt(200)];
      random.nextBytes(garbage);
      write(garbage);
      assertThat(TfServingWarmup.read(dir, "serving_default")).isEmpty();
      // a valid frame around random bytes: parsed as protobuf, never thrown
      write(record(garbage));
      TfServingWarmup.read(dir, "serving_default");
    }
  }

  @Test
  void values_repeated_past_the_budget_are_not_expanded() throws Exception {
    // each input lists one value for a million elements: three of them exceed the request's
    // budget, and one string of a megabyte repeated a million times is never built
    TensorProto wide = tensor(DataType.DT_FLOAT, 1 << 20).addFloatVal(1f).build();
    write(record(predictionLog("", wide, wide, wide)));
    assertThat(TfServingWarmup.read(dir, "serving_default")).isEmpty();
    TensorProto text =
        tensor(DataType.DT_STRING, 1 << 20)
            .addStringVal(ByteString.copyFrom(new byte[1 << 20]))
            .build();
    write(record(predictionLog("", text)));
    assertThat(TfServingWarmup.read(dir, "serving_default")).isEmpty();
  }

  private void write(byte[]... records) throws Exception {
    Path file = dir.resolve(TfServingWarmup.FILE);
    Files.createDirectories(file.getParent());
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] r : records) {
      all.write(r);
    }
    Files.write(file, all.toByteArray());
  }

  private static TensorProto.Builder tensor(DataType type, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorProto.newBuilder().setDtype(type).setTensorShape(shape);
  }

  private static byte[] predictionLog(String signature, TensorProto... inputs) throws Exception {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(field(1, field(3, signature.getBytes())));
    for (int i = 0; i < inputs.length; i++) {
      ByteArrayOutputStream entry = new ByteArrayOutputStream();
      entry.write(field(1, ("in" + i).getBytes()));
      entry.write(field(2, inputs[i].toByteArray()));
      request.write(field(2, entry.toByteArray()));
    }
    return field(6, field(1, request.toByteArray()));
  }

  private static byte[] field(int number, byte[] value) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeByteArray(number, value);
    out.flush();
    return bytes.toByteArray();
  }

  private static byte[] record(byte[] data) {
    ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length);
    return ByteBuffer.allocate(16 + data.length)
        .order(ByteOrder.LITTLE_ENDIAN)
        .put(length.array())
        .putInt(TfServingWarmup.maskedCrc(length.array()))
        .put(data)
        .putInt(TfServingWarmup.maskedCrc(data))
        .array();
  }
}
