package dev.modelhub.common;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a client may be told. Messages of lower layers (file systems, archive readers, engines) can
 * carry absolute paths of the server's folders; a problem's detail keeps only a path's last part,
 * so that errors say what to fix without mapping the server. Modelhub's own API paths stay.
 */
public final class ClientMessages {

  private static final Pattern ABSOLUTE_PATH =
      Pattern.compile("(?<![\\w:/.~-])(/[^/\\s'\"()\\[\\],;]+)+/?");
  private static final Pattern CLASS_NAME =
      Pattern.compile(
          "`?\\b(?:[a-z][a-z0-9_]*\\.)+([A-Z][A-Za-z0-9_]*)(?:\\$([A-Z][A-Za-z0-9_]*))*`?");
  private static final Pattern URL =
      Pattern.compile("\\b([a-zA-Z][a-zA-Z0-9+.-]*)://[^\\s'\"()\\[\\],;]+");
  private static final List<String> API_PATHS =
      List.of("/api/", "/v1/", "/v2/", "/actuator", "/swagger-ui", "/v3/api-docs");

  private ClientMessages() {}

  /**
   * {@code message} with every absolute file path but the API's shortened to its last part, URLs
   * (endpoints of services behind the server) cut to their scheme, and Java class names (which
   * parsers like to quote) shortened to their simple names.
   */
  public static String scrub(String message) {
    if (message == null) {
      return null;
    }
    message = URL.matcher(message).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + "://…"));
    message =
        CLASS_NAME
            .matcher(message)
            .replaceAll(m -> Matcher.quoteReplacement(m.group(m.group(2) != null ? 2 : 1)));
    if (message.indexOf('/') < 0) {
      return message;
    }
    Matcher matcher = ABSOLUTE_PATH.matcher(message);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String path = matcher.group();
      String replacement = path;
      if (API_PATHS.stream().noneMatch(path::startsWith) && path.indexOf('/', 1) > 0) {
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        replacement = "…/" + trimmed.substring(trimmed.lastIndexOf('/') + 1);
      }
      matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    matcher.appendTail(out);
    return out.toString();
  }
}
