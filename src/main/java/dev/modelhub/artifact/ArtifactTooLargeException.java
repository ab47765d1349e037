package dev.modelhub.artifact;

import dev.modelhub.common.ModelhubException;
import org.springframework.http.HttpStatus;
import org.springframework.util.unit.DataSize;

/** An upload larger than the configured limit: 413. */
public class ArtifactTooLargeException extends ModelhubException {

  public ArtifactTooLargeException(long limitBytes) {
    super(
        HttpStatus.CONTENT_TOO_LARGE,
        "artifact-too-large",
        "Artifact too large",
        "The artifact exceeds the upload limit of "
            + DataSize.ofBytes(limitBytes).toMegabytes()
            + " MB (modelhub.upload.max-size); nothing was stored.");
    with("limitBytes", limitBytes);
  }
}
