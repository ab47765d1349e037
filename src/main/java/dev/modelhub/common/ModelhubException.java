package dev.modelhub.common;

import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * Base of every error Modelhub reports to a client: an {@link ErrorResponseException} whose body is
 * the RFC 9457 problem, so Spring MVC answers it like its own errors and no controller maps
 * exceptions to status codes. Each subclass names one problem type. The detail clients see is
 * scrubbed of paths and URLs; {@link ProblemDetailsAdvice} replaces a server-side (5xx) detail with
 * a reference unless its class vouches that it holds nothing internal.
 */
public abstract class ModelhubException extends ErrorResponseException {

  /** Problem type URIs are {@code https://modelhub.dev/problems/<slug>}. */
  public static final String PROBLEM_BASE = "https://modelhub.dev/problems/";

  private final String detail;

  protected ModelhubException(HttpStatus status, String slug, String title, String detail) {
    this(status, slug, title, detail, null);
  }

  protected ModelhubException(
      HttpStatus status, String slug, String title, String detail, Throwable cause) {
    super(status, ProblemDetail.forStatusAndDetail(status, ClientMessages.scrub(detail)), cause);
    this.detail = detail;
    getBody().setType(URI.create(PROBLEM_BASE + slug));
    getBody().setTitle(title);
  }

  /** Adds an extension member to the problem body (for example the versions that do exist). */
  protected final ModelhubException with(String name, Object value) {
    getBody().setProperty(name, value);
    return this;
  }

  /** Adds a response header (for example Retry-After). */
  protected final ModelhubException withHeader(String name, String value) {
    getHeaders().set(name, value);
    return this;
  }

  /** The detail as raised, for logs (clients see the scrubbed one in the body). */
  @Override
  public String getMessage() {
    return detail;
  }

  /**
   * Whether the detail may be shown to clients as it is. Errors the client caused (4xx) say what to
   * fix; a server-side failure (5xx) says only that something failed unless its class vouches that
   * its detail holds nothing internal (a model still loading, a deadline).
   */
  public boolean detailIsForClients() {
    return !getStatusCode().is5xxServerError();
  }
}
