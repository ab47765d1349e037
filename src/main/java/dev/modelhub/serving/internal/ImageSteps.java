package dev.modelhub.serving.internal;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.Pipeline;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns encoded images into the tensor a model takes, as a version's pipeline says: decode (the
 * JDK's ImageIO, its pixel count checked from the header before any pixel is decoded), convert to
 * grayscale or RGB (reading the raster, so no colour management alters the values), resize and
 * center-crop in floating point as PyTorch does, scale, normalize and lay out. Images are decoded
 * one at a time, so a request holds at most one decoded image besides the tensor.
 */
public final class ImageSteps {

  static {
    // Decoding must not write temporary files (and cannot, on a read-only root).
    ImageIO.setUseCache(false);
  }

  private ImageSteps() {}

  /**
   * The tensor for {@code images} (one per row).
   *
   * @param maxImagePixels the node-wide bound on an image's pixels
   * @param maxElements the most elements the tensor may hold
   * @throws dev.modelhub.common.InvalidRequestException an image is corrupt, too large, too small
   *     for a crop, or not the size the others are (400)
   */
  public static Tensor tensor(
      Pipeline pipeline,
      TensorSpec input,
      List<byte[]> images,
      long maxImagePixels,
      long maxElements) {
    if (images.isEmpty()) {
      throw ServingExceptions.invalidInput("The request holds no image.");
    }
    List<Pipeline.Step> steps = pipeline.preprocess();
    Pipeline.Decode decode = (Pipeline.Decode) steps.get(0);
    long maxPixels =
        decode.maxPixels() == null ? maxImagePixels : Math.min(decode.maxPixels(), maxImagePixels);
    int channels = decode.color().channels();
    double[] values = null;
    int height = 0;
    int width = 0;
    for (int i = 0; i < images.size(); i++) {
      Planes raster = decode(images.get(i), i, maxPixels, decode.color());
      for (int s = 1; s < steps.size(); s++) {
        if (steps.get(s) instanceof Pipeline.Resize resize) {
          raster = resize(raster, resize);
        } else if (steps.get(s) instanceof Pipeline.CenterCrop crop) {
          raster = crop(raster, crop, i);
        }
      }
      if (values == null) {
        height = raster.height();
        width = raster.width();
        long elements = (long) images.size() * channels * height * width;
        if (elements > maxElements) {
          throw ServingExceptions.invalidInput(
              "The images make "
                  + elements
                  + " elements after pre-processing, more than "
                  + maxElements
                  + " (modelhub.serving.max-tensor-elements).");
        }
        values = new double[(int) elements];
      } else if (raster.height() != height || raster.width() != width) {
        throw ServingExceptions.invalidInput(
            "Image "
                + i
                + " is "
                + raster.width()
                + "×"
                + raster.height()
                + " after pre-processing and image 0 is "
                + width
                + "×"
                + height
                + "; images in one request must come out the same size (the pipeline has no"
                + " exact resize or crop).");
      }
      fill(values, i, raster, steps, layout(steps));
    }
    Datatype datatype = input.datatype();
    long[] shape =
        switch (layout(steps)) {
          case NCHW -> new long[] {images.size(), channels, height, width};
          case NHWC -> new long[] {images.size(), height, width, channels};
          case flat -> new long[] {images.size(), (long) channels * height * width};
        };
    return new Tensor(input.name(), datatype, shape, typed(values, datatype));
  }

  /** The elements in {@code datatype}: reals as they are, whole numbers rounded. */
  static TensorData typed(double[] values, Datatype datatype) {
    if (datatype.kind() == Datatype.Kind.REAL) {
      return new TensorData.Reals(values);
    }
    long[] whole = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      whole[i] = Math.round(values[i]);
    }
    return new TensorData.Integers(whole);
  }

  private static Pipeline.TensorLayout layout(List<Pipeline.Step> steps) {
    return Pipeline.steps(steps, Pipeline.Layout.class).stream()
        .map(Pipeline.Layout::layout)
        .findFirst()
        .orElse(Pipeline.TensorLayout.NCHW);
  }

  /**
   * Decodes image {@code index} into 8-bit values: one plane (luma) for grayscale, three for RGB.
   */
  static Planes decode(byte[] bytes, int index, long maxPixels, Pipeline.Color color) {
    BufferedImage image;
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        throw ServingExceptions.invalidInput(
            "Image "
                + index
                + " is not an image this server reads (PNG, JPEG, BMP, GIF; "
                + bytes.length
                + " bytes).");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > maxPixels) {
          throw ServingExceptions.invalidInput(
              "Image "
                  + index
                  + " is "
                  + reader.getWidth(0)
                  + "×"
                  + reader.getHeight(0)
                  + " = "
                  + pixels
                  + " pixels; at most "
                  + maxPixels
                  + " are accepted. Send it smaller.");
        }
        ImageReadParam param = reader.getDefaultReadParam();
        image = reader.read(0, param);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      if (e instanceof dev.modelhub.common.InvalidRequestException invalid) {
        throw invalid;
      }
      throw ServingExceptions.invalidInput(
          "Image "
              + index
              + " could not be decoded: "
              + (e.getMessage() == null ? e : e.getMessage())
              + ".");
    }
    return color == Pipeline.Color.grayscale ? gray(image) : rgb(image);
  }

  /**
   * Luma as PIL's {@code convert("L")} computes it, (R·19595 + G·38470 + B·7471 + 2¹⁵) » 16; a gray
   * image's own values as they are (not through Java2D's linear-gray colour space, which would
   * change them).
   */
  private static Planes gray(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    double[] out = new double[w * h];
    if (grayValues(image)) {
      Raster source = image.getRaster();
      int shift = image.getColorModel().getComponentSize(0) - 8;
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        source.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          out[y * w + x] = shift > 0 ? row[x] >> shift : row[x];
        }
      }
      return new Planes(1, h, w, out);
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x];
        int r = (p >> 16) & 0xff;
        int g = (p >> 8) & 0xff;
        int b = p & 0xff;
        out[y * w + x] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
      }
    }
    return new Planes(1, h, w, out);
  }

  /** Three channels; a gray image's value repeated, alpha dropped. */
  private static Planes rgb(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int plane = w * h;
    double[] out = new double[3 * plane];
    if (grayValues(image)) {
      double[] gray = gray(image).values();
      for (int band = 0; band < 3; band++) {
        System.arraycopy(gray, 0, out, band * plane, plane);
      }
      return new Planes(3, h, w, out);
    }
    int[] row = new int[w];
    if (srgbBytes(image)) {
      // 8-bit sRGB components (JPEG, most PNGs): the raster's bands are R, G, B already.
      Raster source = image.getRaster();
      for (int band = 0; band < 3; band++) {
        for (int y = 0; y < h; y++) {
          source.getSamples(0, y, w, 1, band, row);
          for (int x = 0; x < w; x++) {
            out[band * plane + y * w + x] = row[x];
          }
        }
      }
      return new Planes(3, h, w, out);
    }
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x];
        int at = y * w + x;
        out[at] = (p >> 16) & 0xff;
        out[plane + at] = (p >> 8) & 0xff;
        out[2 * plane + at] = p & 0xff;
      }
    }
    return new Planes(3, h, w, out);
  }

  /** Whether the raster holds 8-bit sRGB red, green and blue as its first three bands. */
  private static boolean srgbBytes(BufferedImage image) {
    var model = image.getColorModel();
    return model instanceof java.awt.image.ComponentColorModel
        && model.getColorSpace().isCS_sRGB()
        && model.getNumColorComponents() == 3
        && image.getRaster().getTransferType() == java.awt.image.DataBuffer.TYPE_BYTE;
  }

  /** Whether the image stores gray values directly (a gray or gray+alpha PNG, a gray JPEG). */
  private static boolean grayValues(BufferedImage image) {
    return image.getColorModel().getNumColorComponents() == 1
        && !(image.getColorModel() instanceof IndexColorModel);
  }

  /** An image as doubles, channels first: {@code values[(c · height + y) · width + x]}. */
  record Planes(int channels, int height, int width, double[] values) {

    double at(int band, int y, int x) {
      return values[(band * height + y) * width + x];
    }
  }

  /**
   * Resizes in floating point, sampling at pixel centres (source = (destination + ½) / scale − ½,
   * edges clamped) without antialiasing: what {@code torch.nn.functional.interpolate} does with
   * {@code align_corners=False} (nearest as its "nearest-exact", bicubic with a = −0.75), and
   * torchvision's tensor {@code Resize(antialias=False)}.
   */
  static Planes resize(Planes image, Pipeline.Resize resize) {
    int w = image.width();
    int h = image.height();
    int newW;
    int newH;
    if (resize.exact()) {
      newW = resize.width();
      newH = resize.height();
    } else if (w <= h) {
      // As torchvision's Resize(int): the shorter side becomes the size, the longer keeps the
      // aspect ratio, truncated.
      newW = resize.shorterSide();
      newH = (int) ((long) resize.shorterSide() * h / w);
    } else {
      newH = resize.shorterSide();
      newW = (int) ((long) resize.shorterSide() * w / h);
    }
    if (newW == w && newH == h) {
      return image;
    }
    // Separable: rows first (to newW), then columns (to newH).
    Planes wide = resample(image, newW, true, resize.interpolation());
    return resample(wide, newH, false, resize.interpolation());
  }

  private static Planes resample(
      Planes image, int size, boolean horizontal, Pipeline.Interpolation interpolation) {
    int c = image.channels();
    int h = horizontal ? image.height() : size;
    int w = horizontal ? size : image.width();
    int from = horizontal ? image.width() : image.height();
    if (from == size) {
      return image;
    }
    double scale = (double) from / size;
    double[] out = new double[c * h * w];
    // The source taps and weights of each destination position, shared by every row or column.
    int taps = interpolation == Pipeline.Interpolation.bicubic ? 4 : 2;
    int[][] index = new int[size][taps];
    double[][] weight = new double[size][taps];
    for (int d = 0; d < size; d++) {
      double source = (d + 0.5) * scale - 0.5;
      switch (interpolation) {
        case nearest -> {
          int nearest = Math.min((int) Math.floor((d + 0.5) * scale), from - 1);
          index[d] = new int[] {nearest, nearest};
          weight[d] = new double[] {1, 0};
        }
        case bilinear -> {
          double clamped = Math.max(source, 0);
          int left = Math.min((int) Math.floor(clamped), from - 1);
          int right = Math.min(left + 1, from - 1);
          double t = clamped - left;
          index[d] = new int[] {left, right};
          weight[d] = new double[] {1 - t, t};
        }
        case bicubic -> {
          int floor = (int) Math.floor(source);
          double t = source - floor;
          for (int k = 0; k < 4; k++) {
            index[d][k] = Math.max(0, Math.min(from - 1, floor - 1 + k));
            weight[d][k] = cubic(Math.abs(t - (k - 1)));
          }
        }
      }
    }
    double[] in = image.values();
    int inW = image.width();
    for (int band = 0; band < c; band++) {
      for (int y = 0; y < h; y++) {
        int outRow = (band * h + y) * w;
        if (horizontal) {
          int inRow = (band * image.height() + y) * inW;
          for (int x = 0; x < w; x++) {
            double v = 0;
            for (int k = 0; k < taps; k++) {
              v += weight[x][k] * in[inRow + index[x][k]];
            }
            out[outRow + x] = v;
          }
        } else {
          // A destination row is a weighted sum of whole source rows: contiguous, vectorizable.
          for (int k = 0; k < taps; k++) {
            double wk = weight[y][k];
            if (wk == 0) {
              continue;
            }
            int inRow = (band * image.height() + index[y][k]) * inW;
            for (int x = 0; x < w; x++) {
              out[outRow + x] += wk * in[inRow + x];
            }
          }
        }
      }
    }
    return new Planes(c, h, w, out);
  }

  /** Keys' cubic convolution kernel with a = −0.75, as PyTorch and OpenCV use. */
  private static double cubic(double x) {
    double a = -0.75;
    if (x <= 1) {
      return ((a + 2) * x - (a + 3)) * x * x + 1;
    }
    if (x < 2) {
      return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }
    return 0;
  }

  /** The centre as torchvision's CenterCrop cuts it (offsets rounded half to even). */
  static Planes crop(Planes image, Pipeline.CenterCrop crop, int index) {
    int w = image.width();
    int h = image.height();
    if (crop.width() > w || crop.height() > h) {
      throw ServingExceptions.invalidInput(
          "Image "
              + index
              + " is "
              + w
              + "×"
              + h
              + " when the pipeline crops its centre "
              + crop.width()
              + "×"
              + crop.height()
              + "; send a larger image.");
    }
    int left = (int) Math.rint((w - crop.width()) / 2.0);
    int top = (int) Math.rint((h - crop.height()) / 2.0);
    double[] out = new double[image.channels() * crop.height() * crop.width()];
    for (int band = 0; band < image.channels(); band++) {
      for (int y = 0; y < crop.height(); y++) {
        System.arraycopy(
            image.values(),
            (band * h + top + y) * w + left,
            out,
            (band * crop.height() + y) * crop.width(),
            crop.width());
      }
    }
    return new Planes(image.channels(), crop.height(), crop.width(), out);
  }

  /**
   * Writes image {@code index}'s scaled, normalized values into {@code values} in the layout. Scale
   * and normalize are affine, so each channel's chain of them is one multiply and add.
   */
  private static void fill(
      double[] values,
      int index,
      Planes image,
      List<Pipeline.Step> steps,
      Pipeline.TensorLayout layout) {
    int c = image.channels();
    int h = image.height();
    int w = image.width();
    int plane = h * w;
    int base = index * c * plane;
    for (int band = 0; band < c; band++) {
      double zero = affine(0, band, steps);
      double slope = affine(1, band, steps) - zero;
      double[] source = image.values();
      for (int i = 0; i < plane; i++) {
        double v = source[band * plane + i] * slope + zero;
        values[
                layout == Pipeline.TensorLayout.NHWC
                    ? base + i * c + band
                    : base + band * plane + i] =
            v;
      }
    }
  }

  /** {@code v} through the scale and normalize steps, for channel {@code band}. */
  private static double affine(double v, int band, List<Pipeline.Step> steps) {
    for (Pipeline.Step step : steps) {
      if (step instanceof Pipeline.Scale scale) {
        v = scale.min() + v / 255.0 * (scale.max() - scale.min());
      } else if (step instanceof Pipeline.Normalize normalize) {
        v = (v - pick(normalize.mean(), band)) / pick(normalize.std(), band);
      }
    }
    return v;
  }

  private static double pick(List<Double> perChannel, int band) {
    return perChannel.size() == 1 ? perChannel.get(0) : perChannel.get(band);
  }
}
