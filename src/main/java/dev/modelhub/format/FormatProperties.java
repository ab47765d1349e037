package dev.modelhub.format;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which model formats this installation accepts ({@code modelhub.formats.*}). SavedModels and
 * TorchScript are programs that run inside the server; an operator who does not need one can turn
 * it off: its uploads are refused and nothing of it is loaded.
 *
 * @param enabled the formats accepted: {@code onnx}, {@code saved_model}, {@code torchscript}
 */
@ConfigurationProperties("modelhub.formats")
public record FormatProperties(
    @DefaultValue({"onnx", "saved_model", "torchscript"}) List<String> enabled) {

  /** Whether {@code format} is accepted. */
  public boolean accepts(ModelFormat format) {
    return enabled.stream().anyMatch(f -> ModelFormat.fromId(f).orElse(null) == format);
  }

  /** 422 for an artifact in a format that is turned off. */
  public InvalidArtifactException disabled(ModelFormat format) {
    return new InvalidArtifactException(
        "This server does not accept "
            + format.id()
            + " models (modelhub.formats.enabled is "
            + enabled
            + ").");
  }
}
