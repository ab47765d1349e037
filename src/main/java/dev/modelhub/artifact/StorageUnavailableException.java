package dev.modelhub.artifact;

import dev.modelhub.common.ModelhubException;
import org.springframework.http.HttpStatus;

/** Object storage (or the local spool) failed: 503, so clients retry later. */
public class StorageUnavailableException extends ModelhubException {

  public StorageUnavailableException(String what, Throwable cause) {
    super(
        HttpStatus.SERVICE_UNAVAILABLE,
        "storage-unavailable",
        "Storage unavailable",
        what + ": " + rootMessage(cause) + ". Nothing was stored; retry later.",
        cause);
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
