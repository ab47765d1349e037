package dev.modelhub.benchmark;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.Pipeline;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import dev.modelhub.serving.internal.ImageSteps;
import dev.modelhub.serving.internal.PostSteps;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * What a pipeline's steps cost per request, in process, side by side in one run: the digits
 * pipeline (32 × 32 gray PNG → 8 × 8), an ImageNet-style one (640 × 480 JPEG → shorter side 256 →
 * centre 224 × 224 → normalized RGB NCHW) and post-processing of 1,000 classes (softmax, top-5).
 *
 * <p>{@code ./mvnw -Pbenchmark verify -Dit.test=PipelineBenchmark}
 */
class PipelineBenchmark {

  @Test
  void pipeline_steps_per_request() throws IOException {
    Random random = new Random(7);
    BufferedImage digit = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
    BufferedImage photo = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 480; y++) {
      for (int x = 0; x < 640; x++) {
        photo.setRGB(x, y, (x * 255 / 640) << 16 | (y * 255 / 480) << 8 | random.nextInt(256));
        if (x < 32 && y < 32) {
          digit.getRaster().setSample(x, y, 0, random.nextInt(256));
        }
      }
    }
    byte[] png = encode(digit, "png");
    byte[] jpeg = encode(photo, "jpeg");
    Pipeline digits =
        new Pipeline(
            null,
            null,
            List.of(
                new Pipeline.Decode(Pipeline.Color.grayscale, null),
                new Pipeline.Resize(8, 8, null, Pipeline.Interpolation.bilinear),
                new Pipeline.Scale(0.0, 1.0)),
            null,
            null);
    Pipeline imagenet =
        new Pipeline(
            null,
            null,
            List.of(
                new Pipeline.Decode(Pipeline.Color.rgb, null),
                new Pipeline.Resize(null, null, 256, Pipeline.Interpolation.bilinear),
                new Pipeline.CenterCrop(224, 224),
                new Pipeline.Scale(0.0, 1.0),
                new Pipeline.Normalize(List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225))),
            List.of(new Pipeline.Softmax(), new Pipeline.TopK(5)),
            null);
    TensorSpec any = new TensorSpec("input", Datatype.FP32, null);
    double[] logits = random.doubles(1000, -5, 5).toArray();
    Tensor scores =
        new Tensor("logits", Datatype.FP32, new long[] {1, 1000}, new TensorData.Reals(logits));

    double digitMicros =
        micros(
            () -> ImageSteps.tensor(digits, any, List.of(png), 1 << 24, 1 << 26, () -> {}), 3000);
    double photoMicros =
        micros(
            () -> ImageSteps.tensor(imagenet, any, List.of(jpeg), 1 << 24, 1 << 26, () -> {}), 60);
    double decodeMicros = micros(() -> decode(jpeg), 60);
    double postMicros = micros(() -> PostSteps.classify(imagenet, scores, null, true), 20000);
    System.out.println();
    System.out.println("| steps | input | µs per image | ratio |");
    System.out.println("|---|---|---|---|");
    System.out.printf(
        "| decode gray, resize 8×8, scale | %d-byte 32×32 PNG | %.1f | 1.00 |%n",
        png.length, digitMicros);
    System.out.printf(
        "| decode RGB, resize 256, crop 224, scale, normalize | %d-byte 640×480 JPEG | %.1f | %.1f |%n",
        jpeg.length, photoMicros, photoMicros / digitMicros);
    System.out.printf(
        "| of which the JDK's JPEG decoder alone | the same JPEG | %.1f | %.1f |%n",
        decodeMicros, decodeMicros / digitMicros);
    System.out.printf(
        "| softmax, top-5 | 1,000 logits | %.1f | %.2f |%n", postMicros, postMicros / digitMicros);
  }

  /** Median of five rounds of {@code n} calls, after a warm-up of as many. */
  private static double micros(Supplier<?> call, int n) {
    double[] rounds = new double[5];
    for (int i = 0; i < n; i++) {
      call.get();
    }
    for (int r = 0; r < rounds.length; r++) {
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        call.get();
      }
      rounds[r] = (System.nanoTime() - start) / 1e3 / n;
    }
    java.util.Arrays.sort(rounds);
    return rounds[2];
  }

  private static BufferedImage decode(byte[] bytes) {
    try {
      return ImageIO.read(new java.io.ByteArrayInputStream(bytes));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, format, out);
    return out.toByteArray();
  }
}
