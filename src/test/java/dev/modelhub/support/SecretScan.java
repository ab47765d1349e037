package dev.modelhub.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches every log line (through {@link LogAppender}, wired in {@code logback-test.xml}) and every
 * response the tests' {@link Api} receives for the secrets the run configured or was given (the
 * admin key, the database password, S3 keys, JWTs, keys made through the API). Any sighting is a
 * violation; {@link IntegrationTest} fails the class that saw one.
 */
public final class SecretScan {

  private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();
  private static final List<String> VIOLATIONS = Collections.synchronizedList(new ArrayList<>());

  private SecretScan() {}

  /** Adds a secret to look for (strings shorter than 8 characters are too common to scan for). */
  public static void register(String secret) {
    if (secret != null && secret.length() >= 8) {
      SECRETS.add(secret);
    }
  }

  /** Checks a response body; {@code allowed} (a key just created) may appear in it. */
  public static void checkResponse(String request, byte[] body, String allowed) {
    if (body.length == 0 || body.length > (64 << 20)) {
      return;
    }
    check("response to " + request, new String(body, StandardCharsets.UTF_8), allowed);
  }

  public static void checkLog(String text) {
    check("log", text, null);
  }

  /** What was seen where, since the run started. */
  public static List<String> violations() {
    synchronized (VIOLATIONS) {
      return List.copyOf(VIOLATIONS);
    }
  }

  /** The registered secrets in {@code text}, shortened so the report is no leak itself. */
  public static List<String> find(String text) {
    List<String> found = new ArrayList<>();
    for (String secret : SECRETS) {
      if (text.contains(secret)) {
        found.add(secret.substring(0, 4) + "…");
      }
    }
    return found;
  }

  private static void check(String where, String text, String allowed) {
    for (String secret : SECRETS) {
      if (!secret.equals(allowed) && text.contains(secret)) {
        VIOLATIONS.add("secret " + secret.substring(0, 4) + "… in " + where);
      }
    }
  }

  /** A Logback appender that scans each event's message and stack trace. */
  public static final class LogAppender extends AppenderBase<ILoggingEvent> {
    @Override
    protected void append(ILoggingEvent event) {
      StringBuilder text = new StringBuilder(event.getFormattedMessage());
      IThrowableProxy thrown = event.getThrowableProxy();
      if (thrown != null) {
        text.append('\n').append(ThrowableProxyUtil.asString(thrown));
      }
      checkLog(text.toString());
    }
  }
}
