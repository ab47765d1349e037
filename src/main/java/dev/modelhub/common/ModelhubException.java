package dev.modelhub.common;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * Base of every error Modelhub reports to a client. Each subclass names one problem type; {@link
 * ProblemDetailsAdvice} turns it into an RFC 9457 {@code application/problem+json} response, so no
 * controller maps exceptions to status codes itself.
 */
public abstract class ModelhubException extends RuntimeException {

  /** Problem type URIs are {@code https://modelhub.dev/problems/<slug>}. */
  public static final String PROBLEM_BASE = "https://modelhub.dev/problems/";

  private final HttpStatus status;
  private final String slug;
  private final String title;
  private final Map<String, Object> properties = new LinkedHashMap<>();
  private final Map<String, String> headers = new LinkedHashMap<>();

  protected ModelhubException(HttpStatus status, String slug, String title, String detail) {
    this(status, slug, title, detail, null);
  }

  protected ModelhubException(
      HttpStatus status, String slug, String title, String detail, Throwable cause) {
    super(detail, cause);
    this.status = status;
    this.slug = slug;
    this.title = title;
  }

  /** Adds an extension member to the problem body (for example the versions that do exist). */
  protected final ModelhubException with(String name, Object value) {
    properties.put(name, value);
    return this;
  }

  /** Adds a response header (for example Retry-After). */
  protected final ModelhubException withHeader(String name, String value) {
    headers.put(name, value);
    return this;
  }

  public HttpStatus status() {
    return status;
  }

  public URI type() {
    return URI.create(PROBLEM_BASE + slug);
  }

  public String title() {
    return title;
  }

  public Map<String, Object> properties() {
    return Map.copyOf(properties);
  }

  public Map<String, String> headers() {
    return Map.copyOf(headers);
  }

  /**
   * Whether the detail may be shown to clients as it is. Errors the client caused (4xx) say what to
   * fix; a server-side failure (5xx) says only that something failed unless its class vouches that
   * its detail holds nothing internal (a model still loading, a deadline).
   */
  public boolean detailIsForClients() {
    return !status.is5xxServerError();
  }
}
