package dev.modelhub.common;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.ConstraintViolationException;
import java.net.URI;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;

/**
 * The one place that maps errors to HTTP. Modelhub's own exceptions carry their status and problem
 * type; Spring MVC's (malformed JSON, wrong media type, bad parameter) get a detail that says what
 * to fix. Anything else is a bug: logged with a reference the client can quote, answered 500.
 */
@RestControllerAdvice
public class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

  /** Request attribute holding the detail of the problem a request was answered with. */
  public static final String DETAIL_ATTRIBUTE = ProblemDetailsAdvice.class.getName() + ".detail";

  /**
   * Modelhub's errors are {@link org.springframework.web.ErrorResponse}s answered by Spring MVC;
   * here a server-side one gets a reference to quote instead of its detail, and is logged.
   */
  @Override
  protected ResponseEntity<Object> handleErrorResponseException(
      ErrorResponseException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    if (ex instanceof ModelhubException modelhub) {
      request.setAttribute(
          DETAIL_ATTRIBUTE, modelhub.getMessage(), RequestAttributes.SCOPE_REQUEST);
      if (status.is5xxServerError()) {
        String reference = RequestIds.of(((ServletWebRequest) request).getRequest());
        ProblemDetail problem = ex.getBody();
        if (!modelhub.detailIsForClients()) {
          problem.setDetail(
              problem.getTitle()
                  + ": the server could not complete the request; retry later, and quote"
                  + " reference "
                  + reference
                  + " if it keeps failing.");
        }
        problem.setProperty("reference", reference);
        if (ex.getCause() != null) {
          log.warn(
              "{} (reference {}): {}",
              problem.getTitle(),
              reference,
              ex.getMessage(),
              ex.getCause());
        } else {
          log.info("{} (reference {}): {}", problem.getTitle(), reference, ex.getMessage());
        }
      }
    }
    return super.handleErrorResponseException(ex, headers, status, request);
  }

  @ExceptionHandler(ConstraintViolationException.class)
  ResponseEntity<ProblemDetail> handleConstraintViolation(ConstraintViolationException ex) {
    String detail =
        ex.getConstraintViolations().stream()
            .map(v -> lastNode(v.getPropertyPath().toString()) + ": " + v.getMessage())
            .sorted()
            .collect(Collectors.joining("; "));
    return badRequest(detail);
  }

  /**
   * The problem this advice answers for {@code ex}, for pages that show it instead of sending it
   * (the dashboard): the same status, title and detail as the API.
   */
  public ProblemDetail problemFor(Exception ex, HttpServletRequest request) {
    ResponseEntity<?> answer;
    try {
      answer =
          ex instanceof ConstraintViolationException violation
              ? handleConstraintViolation(violation)
              : handleException(ex, new ServletWebRequest(request));
    } catch (Exception unknown) {
      answer = null;
    }
    return answer != null && answer.getBody() instanceof ProblemDetail problem
        ? problem
        : handleUnexpected(ex, request).getBody();
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<ProblemDetail> handleUnexpected(Exception ex, HttpServletRequest request) {
    if (unstorableText(ex)) {
      // Wherever text reaches the database (a search, a description, a tag, a filter): the
      // statement failed, its transaction rolled back, and the client can fix it.
      return badRequest(
          "The request holds a NUL character (\\u0000), which text here cannot contain; remove"
              + " it.");
    }
    String reference = RequestIds.of(request);
    log.error("Unexpected error, reference {}", reference, ex);
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(
            HttpStatus.INTERNAL_SERVER_ERROR,
            "Internal error; quote reference " + reference + " when reporting it.");
    problem.setType(URI.create(ModelhubException.PROBLEM_BASE + "internal-error"));
    problem.setTitle("Internal error");
    problem.setProperty("reference", reference);
    return ResponseEntity.internalServerError().body(problem);
  }

  /** PostgreSQL refused text with a NUL character (in a parameter, or a jsonb escape). */
  static boolean unstorableText(Throwable ex) {
    for (Throwable t = ex; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof SQLException sql
          && ("22P05".equals(sql.getSQLState())
              || "22021".equals(sql.getSQLState())
              || String.valueOf(sql.getMessage()).contains("Zero bytes may not occur"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Errors Spring MVC answers itself (a media type or method the endpoint does not take, a missing
   * parameter) get a type of Modelhub's like every other problem, instead of {@code about:blank}.
   */
  @Override
  protected ResponseEntity<Object> handleExceptionInternal(
      Exception ex, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    ResponseEntity<Object> response =
        super.handleExceptionInternal(ex, body, headers, status, request);
    if (response != null
        && response.getBody() instanceof ProblemDetail problem
        && (problem.getType() == null || "about:blank".equals(problem.getType().toString()))) {
      String slug =
          switch (status.value()) {
            case 400 -> "invalid-request";
            case 404 -> "not-found";
            case 405 -> "method-not-allowed";
            case 406 -> "not-acceptable";
            case 413 -> "request-too-large";
            case 415 -> "unsupported-media-type";
            case 503 -> "unavailable";
            default -> status.is5xxServerError() ? "internal-error" : "invalid-request";
          };
      problem.setType(URI.create(ModelhubException.PROBLEM_BASE + slug));
    }
    return response;
  }

  @Override
  protected ResponseEntity<Object> handleHttpMessageNotReadable(
      HttpMessageNotReadableException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    Throwable cause = ex.getMostSpecificCause();
    // Jackson's own message without the source-location suffix says what is wrong.
    String reason =
        cause instanceof JacksonException jackson
            ? jackson.getOriginalMessage()
            : cause.getMessage();
    String firstLine =
        reason == null ? "unreadable body" : reason.lines().findFirst().orElse("unreadable body");
    return problem(
        HttpStatus.BAD_REQUEST,
        "malformed-body",
        "Malformed request body",
        "The request body is not valid JSON for this endpoint: " + ClientMessages.scrub(firstLine));
  }

  @Override
  protected ResponseEntity<Object> handleMethodArgumentNotValid(
      MethodArgumentNotValidException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    String detail =
        ex.getBindingResult().getFieldErrors().stream()
            .sorted(Comparator.comparing(FieldError::getField))
            .map(e -> e.getField() + ": " + e.getDefaultMessage())
            .collect(Collectors.joining("; "));
    return problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail);
  }

  @Override
  protected ResponseEntity<Object> handleHandlerMethodValidationException(
      HandlerMethodValidationException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    String detail =
        ex.getParameterValidationResults().stream()
            .flatMap(
                r ->
                    r.getResolvableErrors().stream()
                        .map(
                            e ->
                                r.getMethodParameter().getParameterName()
                                    + ": "
                                    + e.getDefaultMessage()))
            .sorted()
            .collect(Collectors.joining("; "));
    return problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail);
  }

  @Override
  protected ResponseEntity<Object> handleTypeMismatch(
      TypeMismatchException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    String name = ex.getPropertyName() == null ? "parameter" : ex.getPropertyName();
    String expected =
        ex.getRequiredType() == null ? "another type" : ex.getRequiredType().getSimpleName();
    return problem(
        HttpStatus.BAD_REQUEST,
        "invalid-request",
        "Invalid request",
        name + ": '" + ex.getValue() + "' is not a valid " + expected);
  }

  private ResponseEntity<ProblemDetail> badRequest(String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, detail);
    problem.setType(URI.create(ModelhubException.PROBLEM_BASE + "invalid-request"));
    problem.setTitle("Invalid request");
    return ResponseEntity.badRequest().body(problem);
  }

  private static ResponseEntity<Object> problem(
      HttpStatus status, String slug, String title, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setType(URI.create(ModelhubException.PROBLEM_BASE + slug));
    problem.setTitle(title);
    return ResponseEntity.status(status).body(problem);
  }

  private static String lastNode(String path) {
    int dot = path.lastIndexOf('.');
    return dot < 0 ? path : path.substring(dot + 1);
  }
}
