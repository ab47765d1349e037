package dev.modelhub.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Inputs and PyTorch's outputs for the digits MLP, from fixtures/digits_mlp.json. */
public final class DigitsReference {

  private static final JsonNode REFERENCE = load();

  private DigitsReference() {}

  /** Four test images, 64 pixels each. */
  public static float[][] inputs() {
    return matrix(REFERENCE.get("inputs"));
  }

  /** PyTorch's logits for {@link #inputs()}. */
  public static float[][] logits() {
    return matrix(REFERENCE.get("logits"));
  }

  private static float[][] matrix(JsonNode rows) {
    float[][] out = new float[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      JsonNode row = rows.get(i);
      out[i] = new float[row.size()];
      for (int j = 0; j < row.size(); j++) {
        out[i][j] = (float) row.get(j).asDouble();
      }
    }
    return out;
  }

  private static JsonNode load() {
    try (InputStream in = DigitsReference.class.getResourceAsStream("/fixtures/digits_mlp.json")) {
      return JsonMapper.builder().build().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A v2 inference body of one digit: input "input", [1, 64], FP32. */
  public static String v2Body(float[] pixels) {
    StringBuilder data = new StringBuilder();
    for (float p : pixels) {
      data.append(data.isEmpty() ? "" : ",").append(p);
    }
    return "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":["
        + data
        + "]}]}";
  }
}
