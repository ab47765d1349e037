package dev.modelhub.format;

import dev.modelhub.common.UnprocessableException;

/** An artifact that is not a complete model of a supported format: 422. */
public class InvalidArtifactException extends UnprocessableException {

  public InvalidArtifactException(String detail) {
    super("invalid-artifact", "Invalid artifact", detail);
  }

  public InvalidArtifactException(String detail, Throwable cause) {
    super("invalid-artifact", "Invalid artifact", detail, cause);
  }
}
