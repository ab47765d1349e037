package dev.modelhub.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads the committed fixtures in src/test/resources/fixtures. */
public final class Fixtures {

  /** The TorchScript digits MLP's signature, as a client declares it. */
  public static final String DIGITS_SIGNATURE =
      "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,64]}],"
          + "\"outputs\":[{\"name\":\"logits\",\"datatype\":\"FP32\",\"shape\":[-1,10]}]}";

  private Fixtures() {}

  public static byte[] bytes(String name) {
    return resource("/fixtures/" + name);
  }

  /** A dataset under {@code src/test/resources/data}. */
  public static byte[] data(String name) {
    return resource("/data/" + name);
  }

  private static byte[] resource(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
