package dev.modelhub.artifact;

import dev.modelhub.common.UnprocessableException;

/** An archive that is corrupt, unsafe to unpack, or over the configured limits: 422. */
public class ArchiveRejectedException extends UnprocessableException {

  public ArchiveRejectedException(String detail) {
    super("archive-rejected", "Archive rejected", detail);
  }

  public ArchiveRejectedException(String detail, Throwable cause) {
    super("archive-rejected", "Archive rejected", detail, cause);
  }

  static ArchiveRejectedException entry(String name, String reason) {
    return new ArchiveRejectedException("Entry '" + name + "' " + reason + "; nothing was stored.");
  }
}
