package dev.modelhub.serving.internal;

import dev.modelhub.common.ClientMessages;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;

/** What a failed load tells viewers: the engine's own words, without host paths or URLs. */
final class LoadErrors {

  private static final Pattern ENGINE_ERROR = Pattern.compile("[A-Z]\\w*(Exception|Error): ");

  private LoadErrors() {}

  static String describe(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof ModelLoads.LoadFailed || cause instanceof CompletionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    // An engine host's refusal arrives as "OrtException: …" inside an IllegalStateException: the
    // engine's words are the message.
    boolean engineWords = message != null && ENGINE_ERROR.matcher(message).lookingAt();
    return ClientMessages.scrub(
        engineWords ? message : cause.getClass().getSimpleName() + ": " + message);
  }
}
