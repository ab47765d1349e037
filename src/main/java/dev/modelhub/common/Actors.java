package dev.modelhub.common;

/**
 * Who made a change, as recorded in version, alias and audit history. Until API keys exist, callers
 * name themselves with the {@code X-Modelhub-Actor} header (a pipeline sends its job URL, a person
 * their login); without it the change is recorded as {@code anonymous}.
 */
public final class Actors {

  /** The request header a caller names itself with. */
  public static final String HEADER = "X-Modelhub-Actor";

  private static final int MAX_LENGTH = 200;

  private Actors() {}

  /** The actor to record for a request carrying {@code header} (which may be null). */
  public static String fromHeader(String header) {
    if (header == null || header.isBlank()) {
      return "anonymous";
    }
    String trimmed = header.strip();
    return trimmed.length() <= MAX_LENGTH ? trimmed : trimmed.substring(0, MAX_LENGTH);
  }
}
