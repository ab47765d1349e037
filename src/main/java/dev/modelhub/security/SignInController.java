package dev.modelhub.security;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.security.internal.DashboardSessions;
import dev.modelhub.security.internal.KeyAuthenticator;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.security.core.AuthenticationException;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The dashboard's sign-in with an API key, and sign-out. */
@ConditionalOnRole(NodeRole.API)
@Controller
class SignInController {

  private final DashboardSessions sessions;

  SignInController(DashboardSessions sessions) {
    this.sessions = sessions;
  }

  @GetMapping(DashboardSecurityConfiguration.SIGN_IN)
  @Public
  String form() {
    return "sign-in";
  }

  @PostMapping(DashboardSecurityConfiguration.SIGN_IN)
  @Public
  String signIn(
      @RequestParam(defaultValue = "") String key,
      HttpServletRequest request,
      HttpServletResponse response,
      Model model) {
    if (request.getQueryString() != null) {
      // A key in the address ends up in access logs and proxies: only the form's body is read.
      response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
      model.addAttribute("error", "Send the key with the form, not in the address.");
      return "sign-in";
    }
    try {
      sessions.signIn(request, key.strip());
      return "redirect:/ui";
    } catch (KeyAuthenticator.InvalidKey e) {
      // As for a bad bearer key: audited, and it spends the address's failure budget.
      request.setAttribute(KeyAuthenticator.FAILURE_REASON, e);
      response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
      model.addAttribute("error", "That key was not accepted: it is unknown, expired or revoked.");
      return "sign-in";
    } catch (AuthenticationException e) {
      response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
      model.addAttribute("error", "Keys cannot be checked right now; try again in a moment.");
      return "sign-in";
    }
  }

  @PostMapping("/ui/sign-out")
  @Allow(Role.VIEWER)
  String signOut(HttpServletRequest request) {
    sessions.signOut(request);
    return "redirect:" + DashboardSecurityConfiguration.SIGN_IN;
  }

  /** Where a form post without a valid CSRF token is forwarded (with its 403). */
  @RequestMapping(DashboardSecurityConfiguration.FORM_EXPIRED)
  @Public
  String formExpired(Model model) {
    ProblemDetail problem = ProblemDetail.forStatus(HttpStatus.FORBIDDEN);
    problem.setTitle("Form expired");
    problem.setDetail(
        "This form's security token is missing or no longer valid (the page may be older than"
            + " your session). Go back, reload the page and try again.");
    model.addAttribute("problem", problem);
    return "problem";
  }

  /** {@code /}: people who open the server's address get the dashboard. */
  @GetMapping("/")
  @Public
  String root() {
    return "redirect:/ui";
  }
}
