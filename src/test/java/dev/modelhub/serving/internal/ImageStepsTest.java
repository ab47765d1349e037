package dev.modelhub.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.Pipeline;
import dev.modelhub.format.Pipeline.Color;
import dev.modelhub.format.Pipeline.Interpolation;
import dev.modelhub.format.Pipeline.TensorLayout;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import dev.modelhub.support.Fixtures;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Each pre-processing step against values PyTorch computed for the same image ({@code
 * src/test/python/pipeline_reference.py} wrote {@code fixtures/pipeline_reference.json}).
 */
class ImageStepsTest {

  private static final JsonNode REFERENCE =
      JsonMapper.builder().build().readTree(Fixtures.bytes("pipeline_reference.json"));

  /** Resizes run in 32-bit floating point, as PyTorch's do (the reference is in 64 bits). */
  private static final double RESIZE_TOLERANCE = 1e-3;

  private static final Runnable NO_DEADLINE = () -> {};

  private static final TensorSpec ANY = new TensorSpec("x", Datatype.FP32, null);

  @Test
  void decoding_keeps_every_rgb_value_and_lays_it_out_channels_first() {
    assertMatches(run(List.of(decode(Color.rgb), scale255())), "rgb_chw", 1e-9);
  }

  @Test
  void grayscale_is_pil_luma_not_java2d_linear_gray() {
    assertMatches(run(List.of(decode(Color.grayscale), scale255())), "gray_chw", 1e-9);
  }

  @Test
  void a_gray_png_keeps_its_own_values() throws IOException {
    BufferedImage gray = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {0, 128, 255});
    Tensor tensor =
        ImageSteps.tensor(
            pipeline(List.of(decode(Color.grayscale), scale255())),
            ANY,
            List.of(png(gray)),
            1 << 20,
            1 << 20,
            NO_DEADLINE);
    // Through Java2D's colour conversion 128 would come out near 186.
    assertThat(((TensorData.Reals) tensor.data()).values()).containsExactly(0, 128, 255);
  }

  @Test
  void bilinear_resizes_sample_at_pixel_centres_as_torch_does() {
    assertMatches(
        run(List.of(decode(Color.rgb), resize(5, 4, Interpolation.bilinear), scale255())),
        "bilinear_down_4x5",
        RESIZE_TOLERANCE);
    assertMatches(
        run(List.of(decode(Color.rgb), resize(20, 17, Interpolation.bilinear), scale255())),
        "bilinear_up_17x20",
        RESIZE_TOLERANCE);
  }

  @Test
  void bicubic_resizes_use_keys_kernel_as_torch_does() {
    assertMatches(
        run(List.of(decode(Color.rgb), resize(5, 4, Interpolation.bicubic), scale255())),
        "bicubic_down_4x5",
        RESIZE_TOLERANCE);
    assertMatches(
        run(List.of(decode(Color.rgb), resize(20, 17, Interpolation.bicubic), scale255())),
        "bicubic_up_17x20",
        RESIZE_TOLERANCE);
  }

  @Test
  void nearest_resizes_pick_the_pixel_under_each_centre() {
    assertMatches(
        run(List.of(decode(Color.rgb), resize(5, 4, Interpolation.nearest), scale255())),
        "nearest_down_4x5",
        1e-9);
    assertMatches(
        run(List.of(decode(Color.rgb), resize(20, 17, Interpolation.nearest), scale255())),
        "nearest_up_17x20",
        1e-9);
  }

  @Test
  void center_crop_cuts_where_torchvision_does() {
    assertMatches(
        run(List.of(decode(Color.rgb), new Pipeline.CenterCrop(7, 5), scale255())),
        "crop_5x7",
        1e-9);
  }

  @Test
  void scale_then_normalize_per_channel_in_both_layouts() {
    Pipeline.Normalize imagenet =
        new Pipeline.Normalize(List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225));
    List<Pipeline.Step> steps = new ArrayList<>(List.of(decode(Color.rgb), scale01(), imagenet));
    assertMatches(run(steps), "normalized_chw", 1e-9);
    steps.add(new Pipeline.Layout(TensorLayout.NHWC));
    assertMatches(run(steps), "normalized_hwc", 1e-9);
  }

  @Test
  void shorter_side_keeps_the_aspect_ratio_as_torchvision_truncates_it() {
    Tensor tensor =
        run(
            List.of(
                decode(Color.rgb),
                new Pipeline.Resize(null, null, 6, Interpolation.bilinear),
                scale255()));
    // 13 × 11 → the shorter side (11) becomes 6, the longer int(6 · 13 / 11) = 7.
    assertThat(tensor.shape()).containsExactly(1, 3, 6, 7);
  }

  @Test
  void an_image_claiming_more_pixels_than_allowed_is_refused_before_it_is_decoded() {
    BufferedImage big = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
    assertThatThrownBy(
            () ->
                ImageSteps.tensor(
                    pipeline(List.of(decode(Color.rgb))),
                    ANY,
                    List.of(png(big)),
                    59_999,
                    1 << 30,
                    NO_DEADLINE))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("300×200 = 60000 pixels; at most 59999");
  }

  @Test
  void corrupt_and_unknown_bytes_are_refused_as_the_clients_fault() {
    byte[] png = png(image());
    byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
    for (byte[] bytes : List.of(truncated, "not an image".getBytes(), new byte[0])) {
      assertThatThrownBy(
              () ->
                  ImageSteps.tensor(
                      pipeline(List.of(decode(Color.rgb))),
                      ANY,
                      List.of(bytes),
                      1 << 20,
                      1 << 20,
                      NO_DEADLINE))
          .isInstanceOf(InvalidRequestException.class)
          .hasMessageContaining("Image 0");
    }
  }

  @Test
  void a_resize_that_would_blow_an_image_up_is_refused_before_it_allocates() {
    // A sliver within the pixel limit, whose shorter side (1) resized to 256 would make a
    // 256 × 1,024,000 image.
    BufferedImage sliver = new BufferedImage(1, 4000, BufferedImage.TYPE_BYTE_GRAY);
    assertThatThrownBy(
            () ->
                ImageSteps.tensor(
                    pipeline(
                        List.of(
                            decode(Color.rgb),
                            new Pipeline.Resize(null, null, 256, Interpolation.bilinear))),
                    ANY,
                    List.of(png(sliver)),
                    1 << 20,
                    1 << 20,
                    NO_DEADLINE))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("resizing it to 256×1024000 makes more values than");
  }

  @Test
  void formats_other_than_png_jpeg_and_gif_are_refused() throws IOException {
    for (String format : List.of("bmp", "wbmp", "tiff")) {
      BufferedImage image = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_BINARY);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertThat(ImageIO.write(image, format, out)).as(format).isTrue();
      assertThatThrownBy(
              () ->
                  ImageSteps.tensor(
                      pipeline(List.of(decode(Color.rgb))),
                      ANY,
                      List.of(out.toByteArray()),
                      1 << 20,
                      1 << 20,
                      NO_DEADLINE))
          .as(format)
          .isInstanceOf(InvalidRequestException.class)
          .hasMessageContaining("not an image this server reads (PNG, JPEG or GIF");
    }
  }

  @Test
  void whole_number_inputs_saturate_instead_of_wrapping_and_the_deadline_is_checked() {
    TensorData data = ImageSteps.typed(new double[] {-3.2, 17.5, 300}, Datatype.UINT8);
    assertThat(((TensorData.Integers) data).values()).containsExactly(0, 18, 255);
    RuntimeException late = new IllegalStateException("time is up");
    assertThatThrownBy(
            () ->
                ImageSteps.tensor(
                    pipeline(List.of(decode(Color.rgb))),
                    ANY,
                    List.of(png(image())),
                    1 << 20,
                    1 << 20,
                    () -> {
                      throw late;
                    }))
        .isSameAs(late);
  }

  @Test
  void palette_alpha_and_jpeg_images_decode_to_their_colours() throws IOException {
    // A palette GIF and an RGBA PNG: their pixels' colours, alpha dropped.
    BufferedImage rgba = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
    rgba.setRGB(0, 0, 0x80102030);
    rgba.setRGB(1, 0, 0xFF405060);
    assertThat(values(png(rgba), Color.rgb)).containsExactly(0x10, 0x40, 0x20, 0x50, 0x30, 0x60);
    BufferedImage palette = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED);
    palette.setRGB(0, 0, 0xFF000000);
    palette.setRGB(1, 0, 0xFFFFFFFF);
    ByteArrayOutputStream gif = new ByteArrayOutputStream();
    assertThat(ImageIO.write(palette, "gif", gif)).isTrue();
    assertThat(values(gif.toByteArray(), Color.grayscale)).containsExactly(0, 255);
    // A flat grey JPEG comes back within its compression's error of the grey it was.
    BufferedImage grey = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 16; x++) {
        grey.setRGB(x, y, 0x808080);
      }
    }
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    assertThat(ImageIO.write(grey, "jpeg", jpeg)).isTrue();
    for (double v : values(jpeg.toByteArray(), Color.rgb)) {
      assertThat(v).isCloseTo(128, org.assertj.core.data.Offset.offset(2.0));
    }
  }

  @Test
  void center_crop_offsets_round_half_to_even_as_torchvision() {
    // 4 wide, crop 1: (4 - 1) / 2 = 1.5 rounds to 2; 6 wide, crop 1: 2.5 rounds to 2.
    BufferedImage row = new BufferedImage(6, 1, BufferedImage.TYPE_BYTE_GRAY);
    row.getRaster().setSamples(0, 0, 6, 1, 0, new int[] {0, 10, 20, 30, 40, 50});
    List<Pipeline.Step> cropOne =
        List.of(decode(Color.grayscale), new Pipeline.CenterCrop(1, 1), scale255());
    assertThat(values(png(row), cropOne)).containsExactly(20);
    BufferedImage four = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
    four.getRaster().setRect(row.getSubimage(0, 0, 4, 1).getRaster());
    double[] fourValues = values(png(four), cropOne);
    assertThat(fourValues).containsExactly(20);
  }

  private static double[] values(byte[] image, Color color) {
    return values(image, List.of(decode(color), scale255()));
  }

  private static double[] values(byte[] image, List<Pipeline.Step> steps) {
    return ((TensorData.Reals)
            ImageSteps.tensor(pipeline(steps), ANY, List.of(image), 1 << 20, 1 << 20, NO_DEADLINE)
                .data())
        .values();
  }

  @Test
  void an_image_smaller_than_the_crop_is_refused() {
    assertThatThrownBy(() -> run(List.of(decode(Color.rgb), new Pipeline.CenterCrop(14, 5))))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("13×11 when the pipeline crops its centre 14×5");
  }

  private static Pipeline.Decode decode(Color color) {
    return new Pipeline.Decode(color, null);
  }

  private static Pipeline.Scale scale255() {
    return new Pipeline.Scale(0.0, 255.0);
  }

  private static Pipeline.Scale scale01() {
    return new Pipeline.Scale(0.0, 1.0);
  }

  private static Pipeline.Resize resize(int width, int height, Interpolation interpolation) {
    return new Pipeline.Resize(width, height, null, interpolation);
  }

  private static Pipeline pipeline(List<Pipeline.Step> steps) {
    return new Pipeline(null, null, steps, null, null);
  }

  private static Tensor run(List<Pipeline.Step> steps) {
    return ImageSteps.tensor(
        pipeline(steps), ANY, List.of(png(image())), 1 << 20, 1 << 20, NO_DEADLINE);
  }

  private static void assertMatches(Tensor tensor, String reference, double tolerance) {
    JsonNode expected = REFERENCE.get("cases").get(reference);
    List<Long> shape = new ArrayList<>();
    shape.add(1L);
    expected.get("shape").forEach(d -> shape.add(d.asLong()));
    assertThat(tensor.shape()).as(reference + " shape").containsExactly(toArray(shape));
    double[] actual = ((TensorData.Reals) tensor.data()).values();
    for (int i = 0; i < actual.length; i++) {
      assertThat(actual[i])
          .as(reference + " element " + i)
          .isCloseTo(
              expected.get("values").get(i).asDouble(),
              org.assertj.core.data.Offset.offset(tolerance));
    }
  }

  private static long[] toArray(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).toArray();
  }

  /** The reference image, as an RGB picture. */
  private static BufferedImage image() {
    int h = REFERENCE.get("height").asInt();
    int w = REFERENCE.get("width").asInt();
    JsonNode rgb = REFERENCE.get("rgb");
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int at = (y * w + x) * 3;
        image.setRGB(
            x,
            y,
            rgb.get(at).asInt() << 16 | rgb.get(at + 1).asInt() << 8 | rgb.get(at + 2).asInt());
      }
    }
    return image;
  }

  static byte[] png(BufferedImage image) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
