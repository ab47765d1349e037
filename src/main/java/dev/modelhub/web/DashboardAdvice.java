package dev.modelhub.web;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.ProblemDetailsAdvice;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.servlet.ModelAndView;

/**
 * What every dashboard page has: who is signed in and what they may do (controls they may not use
 * are not shown; the server refuses them anyway), and errors shown as a page in words with the
 * status the API would answer.
 */
@ConditionalOnRole(NodeRole.API)
@ControllerAdvice(basePackageClasses = DashboardAdvice.class)
@Order(Ordered.HIGHEST_PRECEDENCE) // before the API's advice, which answers JSON
class DashboardAdvice {

  private final ProblemDetailsAdvice problems;

  DashboardAdvice(ProblemDetailsAdvice problems) {
    this.problems = problems;
  }

  /**
   * The signed-in person's permissions, for templates.
   *
   * @param name the key's name
   * @param role the key's role
   * @param publish may upload, edit tags and start or cancel jobs
   * @param deploy may promote and roll back
   * @param admin may read the audit trail
   */
  record Me(String name, String role, boolean publish, boolean deploy, boolean admin) {}

  @ModelAttribute("me")
  Me me(Caller caller) {
    return new Me(
        caller.name(),
        caller.role() == null ? "none" : caller.role().id(),
        caller.has(Role.PUBLISHER),
        caller.has(Role.DEPLOYER),
        caller.has(Role.ADMIN) && caller.scope().unrestricted());
  }

  /** A refusal, a validation error, a conflict: the problem the API would answer, as a page. */
  @ExceptionHandler(Exception.class)
  ModelAndView problem(Exception error, HttpServletRequest request) {
    ProblemDetail problem = problems.problemFor(error, request);
    ModelAndView page = new ModelAndView("problem");
    page.addObject("problem", problem);
    page.setStatus(HttpStatusCode.valueOf(problem.getStatus()));
    return page;
  }
}
