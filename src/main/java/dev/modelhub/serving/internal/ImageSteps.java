package dev.modelhub.serving.internal;

import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.Pipeline;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns encoded images into the tensor a model takes, as a version's pipeline says: decode (the
 * JDK's ImageIO, PNG, JPEG and GIF only, its pixel count checked from the header before any pixel
 * is decoded), convert to grayscale or RGB (reading the raster, so no colour management alters the
 * values), resize and center-crop in floating point as PyTorch does, scale, normalize and lay out.
 * Images are decoded one at a time, so a request holds at most one decoded image besides the
 * tensor; every array a step makes is bounded before it is allocated, and the request's deadline is
 * checked between images.
 */
public final class ImageSteps {

  /** Most images one request may carry. */
  public static final int MAX_IMAGES = 1024;

  /**
   * The formats decoded. BMP is not: the JDK's reader allocates what a compressed BMP's header
   * claims before checking it; TIFF and WBMP are not bounded by the pixel check alone.
   */
  private static final Set<String> FORMATS = Set.of("png", "jpeg", "gif");

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
   * @param deadline checked before each image; throws when the request's time is up
   * @throws dev.modelhub.common.InvalidRequestException an image is corrupt, too large, too small
   *     for a crop, or not the size the others are (400)
   */
  public static Tensor tensor(
      Pipeline pipeline,
      TensorSpec input,
      List<byte[]> images,
      long maxImagePixels,
      long maxElements,
      Runnable deadline) {
    if (images.isEmpty()) {
      throw ServingExceptions.invalidInput("The request holds no image.");
    }
    if (images.size() > MAX_IMAGES) {
      throw ServingExceptions.invalidInput(
          "The request holds " + images.size() + " images; at most " + MAX_IMAGES + " are taken.");
    }
    List<Pipeline.Step> steps = pipeline.preprocess();
    Pipeline.Decode decode = (Pipeline.Decode) steps.get(0);
    long maxPixels =
        decode.maxPixels() == null ? maxImagePixels : Math.min(decode.maxPixels(), maxImagePixels);
    int channels = decode.color().channels();
    // What one image's planes may take on the way (a decoded image, a resize's output).
    long budget = Math.max(maxElements, channels * maxPixels);
    double[] values = null;
    int height = 0;
    int width = 0;
    Pipeline.TensorLayout layout = layout(steps);
    for (int i = 0; i < images.size(); i++) {
      deadline.run();
      Planes image = decode(images.get(i), i, maxPixels, decode.color());
      for (int s = 1; s < steps.size(); s++) {
        if (steps.get(s) instanceof Pipeline.Resize resize) {
          image = resize(image, resize, budget, i);
        } else if (steps.get(s) instanceof Pipeline.CenterCrop crop) {
          image = crop(image, crop, i);
        }
      }
      if (values == null) {
        height = image.height();
        width = image.width();
        long elements = (long) images.size() * channels * height * width;
        if (elements > maxElements || elements > Integer.MAX_VALUE - 8) {
          throw ServingExceptions.invalidInput(
              "The images make "
                  + elements
                  + " elements after pre-processing, more than "
                  + maxElements
                  + " (modelhub.serving.max-tensor-elements); send fewer or smaller images.");
        }
        values = new double[(int) elements];
      } else if (image.height() != height || image.width() != width) {
        throw ServingExceptions.invalidInput(
            "Image "
                + i
                + " is "
                + image.width()
                + "×"
                + image.height()
                + " after pre-processing and image 0 is "
                + width
                + "×"
                + height
                + "; images in one request must come out the same size (the pipeline has no"
                + " exact resize or crop).");
      }
      fill(values, i, image, steps, layout);
    }
    Datatype datatype = input.datatype();
    long[] shape =
        switch (layout) {
          case NCHW -> new long[] {images.size(), channels, height, width};
          case NHWC -> new long[] {images.size(), height, width, channels};
          case flat -> new long[] {images.size(), (long) channels * height * width};
        };
    return new Tensor(input.name(), datatype, shape, typed(values, datatype));
  }

  /**
   * The elements in {@code datatype}: reals as they are, whole numbers rounded and clamped to the
   * datatype's range (as a cast with saturation does), so no value wraps around.
   */
  static TensorData typed(double[] values, Datatype datatype) {
    if (datatype.kind() == Datatype.Kind.REAL) {
      return new TensorData.Reals(values);
    }
    double min = datatype.minWhole();
    double max = datatype.maxWhole();
    long[] whole = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      whole[i] = Math.round(Math.max(min, Math.min(max, values[i])));
    }
    return new TensorData.Integers(whole);
  }

  private static Pipeline.TensorLayout layout(List<Pipeline.Step> steps) {
    return Pipeline.steps(steps, Pipeline.Layout.class).stream()
        .map(Pipeline.Layout::layout)
        .findFirst()
        .orElse(Pipeline.TensorLayout.NCHW);
  }

  /** Decodes image {@code index} into one plane (luma) for grayscale, three for RGB. */
  static Planes decode(byte[] bytes, int index, long maxPixels, Pipeline.Color color) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      ImageReader reader = readers == null || !readers.hasNext() ? null : readers.next();
      if (reader == null || !FORMATS.contains(reader.getFormatName().toLowerCase(Locale.ROOT))) {
        throw ServingExceptions.invalidInput(
            "Image "
                + index
                + " is not an image this server reads (PNG, JPEG or GIF; "
                + bytes.length
                + " bytes).");
      }
      try {
        // Metadata (text chunks, ICC profiles) is neither needed nor read.
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
        BufferedImage image = reader.read(0, reader.getDefaultReadParam());
        return color == Pipeline.Color.grayscale ? gray(image) : rgb(image);
      } finally {
        reader.dispose();
      }
    } catch (InvalidRequestException e) {
      throw e;
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      throw ServingExceptions.invalidInput(
          "Image "
              + index
              + " could not be decoded: "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + ".");
    }
  }

  /**
   * Luma as PIL's {@code convert("L")} computes it, (R·19595 + G·38470 + B·7471 + 2¹⁵) » 16; a gray
   * image's own values as they are (not through Java2D's linear-gray colour space, which would
   * change them), a 16-bit one scaled to 8 bits (PIL would clip it at 255 instead).
   */
  private static Planes gray(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    float[] out = new float[w * h];
    int[] row = new int[w];
    if (grayValues(image)) {
      Raster source = image.getRaster();
      int shift = image.getColorModel().getComponentSize(0) - 8;
      for (int y = 0; y < h; y++) {
        source.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          out[y * w + x] = shift > 0 ? row[x] >> shift : row[x];
        }
      }
      return new Planes(1, h, w, out);
    }
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
    float[] out = new float[3 * plane];
    if (grayValues(image)) {
      float[] gray = gray(image).values();
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
    return model instanceof ComponentColorModel
        && model.getColorSpace().isCS_sRGB()
        && model.getNumColorComponents() == 3
        && image.getRaster().getTransferType() == DataBuffer.TYPE_BYTE;
  }

  /** Whether the image stores gray values directly (a gray or gray+alpha PNG, a gray JPEG). */
  private static boolean grayValues(BufferedImage image) {
    return image.getColorModel().getNumColorComponents() == 1
        && !(image.getColorModel() instanceof IndexColorModel);
  }

  /**
   * An image as 32-bit floats (as PyTorch computes), channels first: {@code values[(c · height + y)
   * · width + x]}.
   */
  record Planes(int channels, int height, int width, float[] values) {

    float at(int band, int y, int x) {
      return values[(band * height + y) * width + x];
    }
  }

  /**
   * Resizes in floating point, sampling at pixel centres (source = (destination + ½) / scale − ½,
   * edges clamped) without antialiasing: what {@code torch.nn.functional.interpolate} does with
   * {@code align_corners=False} (nearest as its "nearest-exact", bicubic with a = −0.75), and
   * torchvision's tensor {@code Resize(antialias=False)}.
   *
   * @param budget the most values the result, or the half-way image, may hold
   */
  static Planes resize(Planes image, Pipeline.Resize resize, long budget, int index) {
    long w = image.width();
    long h = image.height();
    long newW;
    long newH;
    if (resize.exact()) {
      newW = resize.width();
      newH = resize.height();
    } else if (w <= h) {
      // As torchvision's Resize(int): the shorter side becomes the size, the longer keeps the
      // aspect ratio, truncated.
      newW = resize.shorterSide();
      newH = Math.max(1, resize.shorterSide() * h / w);
    } else {
      newH = resize.shorterSide();
      newW = Math.max(1, resize.shorterSide() * w / h);
    }
    if (newW == w && newH == h) {
      return image;
    }
    long largest = image.channels() * Math.max(h * newW, newH * newW);
    if (largest > budget || largest > Integer.MAX_VALUE - 8) {
      throw ServingExceptions.invalidInput(
          "Image "
              + index
              + " is "
              + w
              + "×"
              + h
              + " and resizing it to "
              + newW
              + "×"
              + newH
              + " makes more values than the "
              + budget
              + " one image may take; send an image closer to the model's size.");
    }
    // Separable: rows first (to newW), then columns (to newH).
    Planes wide = resample(image, (int) newW, true, resize.interpolation());
    return resample(wide, (int) newH, false, resize.interpolation());
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
    float[] out = new float[c * h * w];
    // The source taps and weights of each destination position, shared by every row or column.
    int taps = interpolation == Pipeline.Interpolation.bicubic ? 4 : 2;
    int[][] index = new int[size][taps];
    float[][] weight = new float[size][taps];
    for (int d = 0; d < size; d++) {
      double source = (d + 0.5) * scale - 0.5;
      switch (interpolation) {
        case nearest -> {
          int nearest = Math.min((int) Math.floor((d + 0.5) * scale), from - 1);
          index[d] = new int[] {nearest, nearest};
          weight[d] = new float[] {1, 0};
        }
        case bilinear -> {
          double clamped = Math.max(source, 0);
          int left = Math.min((int) Math.floor(clamped), from - 1);
          int right = Math.min(left + 1, from - 1);
          double t = clamped - left;
          index[d] = new int[] {left, right};
          weight[d] = new float[] {(float) (1 - t), (float) t};
        }
        case bicubic -> {
          int floor = (int) Math.floor(source);
          double t = source - floor;
          for (int k = 0; k < 4; k++) {
            index[d][k] = Math.max(0, Math.min(from - 1, floor - 1 + k));
            weight[d][k] = (float) cubic(Math.abs(t - (k - 1)));
          }
        }
      }
    }
    float[] in = image.values();
    int inW = image.width();
    for (int band = 0; band < c; band++) {
      for (int y = 0; y < h; y++) {
        int outRow = (band * h + y) * w;
        if (horizontal) {
          int inRow = (band * image.height() + y) * inW;
          for (int x = 0; x < w; x++) {
            float v = 0;
            for (int k = 0; k < taps; k++) {
              v += weight[x][k] * in[inRow + index[x][k]];
            }
            out[outRow + x] = v;
          }
        } else {
          // A destination row is a weighted sum of whole source rows: contiguous, vectorizable.
          for (int k = 0; k < taps; k++) {
            float wk = weight[y][k];
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
    float[] out = new float[image.channels() * crop.height() * crop.width()];
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
    int plane = image.height() * image.width();
    int base = index * c * plane;
    float[] source = image.values();
    for (int band = 0; band < c; band++) {
      double zero = affine(0, band, steps);
      double slope = affine(1, band, steps) - zero;
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
