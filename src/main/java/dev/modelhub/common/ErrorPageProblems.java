package dev.modelhub.common;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The error page for what fails outside a controller (a servlet filter, the container), answered as
 * an RFC 9457 problem like everything else. A 5xx says only that something failed and gives the
 * request id as the reference to quote; the log has the rest.
 */
@RestController
class ErrorPageProblems implements ErrorController {

  private static final Logger log = LoggerFactory.getLogger(ErrorPageProblems.class);

  @RequestMapping("${server.error.path:/error}")
  ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
    Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    if (code == null) {
      // Called directly, not as the container's error page: there is nothing here.
      ProblemDetail missing = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "Not found.");
      missing.setType(URI.create(ModelhubException.PROBLEM_BASE + "http-404"));
      missing.setTitle("Not Found");
      return ResponseEntity.status(HttpStatus.NOT_FOUND).body(missing);
    }
    HttpStatus status =
        code instanceof Integer value
            ? HttpStatus.resolve(value) == null
                ? HttpStatus.INTERNAL_SERVER_ERROR
                : HttpStatus.valueOf(value)
            : HttpStatus.INTERNAL_SERVER_ERROR;
    ProblemDetail problem;
    if (status.is5xxServerError()) {
      String reference = RequestIds.of(request);
      log.error(
          "Request failed outside a controller, reference {}",
          reference,
          (Throwable) request.getAttribute(RequestDispatcher.ERROR_EXCEPTION));
      problem =
          ProblemDetail.forStatusAndDetail(
              status, "Internal error; quote reference " + reference + " when reporting it.");
      problem.setType(URI.create(ModelhubException.PROBLEM_BASE + "internal-error"));
      problem.setTitle("Internal error");
      problem.setProperty("reference", reference);
    } else {
      problem = ProblemDetail.forStatusAndDetail(status, status.getReasonPhrase() + ".");
      problem.setType(URI.create(ModelhubException.PROBLEM_BASE + "http-" + status.value()));
      problem.setTitle(status.getReasonPhrase());
    }
    Object path = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
    if (path != null) {
      problem.setInstance(URI.create(path.toString().replace(" ", "%20")));
    }
    return ResponseEntity.status(status).body(problem);
  }
}
