package dev.modelhub.format;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The model formats Modelhub registers and serves. */
public enum ModelFormat {
  ONNX("onnx", "onnxruntime_onnx"),
  SAVED_MODEL("saved_model", "tensorflow_savedmodel"),
  TORCHSCRIPT("torchscript", "pytorch_torchscript");

  private final String id;
  private final String platform;

  ModelFormat(String id, String platform) {
    this.id = id;
    this.platform = platform;
  }

  /** The name used in the API and stored in the database. */
  @JsonValue
  public String id() {
    return id;
  }

  /** The platform name Triton and KServe clients expect in model metadata. */
  public String platform() {
    return platform;
  }

  /** Parses an API name; also accepts a few common spellings (savedmodel, tensorflow, pytorch). */
  public static Optional<ModelFormat> fromId(String value) {
    if (value == null) {
      return Optional.empty();
    }
    return switch (value.toLowerCase(Locale.ROOT).replace('-', '_')) {
      case "onnx" -> Optional.of(ONNX);
      case "saved_model", "savedmodel", "tensorflow" -> Optional.of(SAVED_MODEL);
      case "torchscript", "pytorch" -> Optional.of(TORCHSCRIPT);
      default -> Optional.empty();
    };
  }

  /** The accepted names, for error messages. */
  public static String names() {
    return Arrays.stream(values()).map(ModelFormat::id).collect(Collectors.joining(", "));
  }
}
