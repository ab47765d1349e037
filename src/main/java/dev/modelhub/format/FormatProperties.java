package dev.modelhub.format;

import jakarta.validation.constraints.AssertTrue;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Which model formats this installation accepts ({@code modelhub.formats.*}). SavedModels and
 * TorchScript are programs that run inside the server; an operator who does not need one can turn
 * it off: its uploads are refused and nothing of it is loaded.
 *
 * @param enabled the formats accepted: {@code onnx}, {@code saved_model}, {@code torchscript}
 */
@Validated
@ConfigurationProperties("modelhub.formats")
public record FormatProperties(
    @DefaultValue({"onnx", "saved_model", "torchscript"}) List<String> enabled) {

  /** A typo in the list would silently turn a format off. */
  @AssertTrue(message = "every entry must be one of onnx, saved_model, torchscript")
  boolean isEveryEntryAFormat() {
    return enabled == null || enabled.stream().allMatch(f -> ModelFormat.fromId(f).isPresent());
  }

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
