package dev.modelhub.artifact;

import dev.modelhub.common.ModelhubException;
import org.springframework.http.HttpStatus;

/**
 * The client stopped sending before the body was complete. The response rarely reaches it, but the
 * status says what happened in logs and metrics: nothing was stored.
 */
public class UploadInterruptedException extends ModelhubException {

  public UploadInterruptedException(Throwable cause) {
    super(
        HttpStatus.BAD_REQUEST,
        "upload-interrupted",
        "Upload interrupted",
        "The request body ended before it was complete ("
            + cause.getClass().getSimpleName()
            + "); nothing was stored. Send the whole artifact again.",
        cause);
  }
}
