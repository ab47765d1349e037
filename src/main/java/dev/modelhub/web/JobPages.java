package dev.modelhub.web;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.PageView;
import dev.modelhub.optimize.JobStatus;
import dev.modelhub.optimize.OptimizationService;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.util.Arrays;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Jobs: a filtered list, a job's page whose progress updates live (htmx polling), cancel. */
@ConditionalOnRole(NodeRole.API)
@Controller
class JobPages {

  private final OptimizationService optimizations;

  JobPages(OptimizationService optimizations) {
    this.optimizations = optimizations;
  }

  @GetMapping("/ui/jobs")
  @Allow(Role.VIEWER)
  String list(
      @RequestParam(required = false) String model,
      @RequestParam(required = false) JobStatus status,
      @RequestParam(required = false) String pass,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      Caller caller,
      Model view) {
    String m = model == null || model.isBlank() ? null : model.strip();
    String p = pass == null || pass.isBlank() ? null : pass.strip();
    view.addAttribute("page", optimizations.list(m, status, p, caller.scope(), page, 25));
    view.addAttribute("model", m);
    view.addAttribute("status", status);
    view.addAttribute("pass", p);
    view.addAttribute("statuses", Arrays.asList(JobStatus.values()));
    view.addAttribute("passes", optimizations.passDefaults().keySet());
    return "jobs";
  }

  @GetMapping("/ui/jobs/{id}")
  @Allow(Role.VIEWER)
  String job(@PathVariable long id, Caller caller, Model view) {
    view.addAttribute("job", optimizations.get(id, caller));
    return "job";
  }

  /** The live part of a job's page, polled by htmx until the job ends. */
  @GetMapping("/ui/jobs/{id}/progress")
  @Allow(Role.VIEWER)
  String progress(@PathVariable long id, Caller caller, Model view) {
    view.addAttribute("job", optimizations.get(id, caller));
    return "job :: progress";
  }

  @PostMapping("/ui/jobs/{id}/cancel")
  @Allow(Role.PUBLISHER)
  String cancel(@PathVariable long id, Caller caller, RedirectAttributes flash) {
    optimizations.cancel(id, caller);
    flash.addFlashAttribute(
        "notice", "Cancellation asked for; a running job stops at its next checkpoint.");
    return "redirect:/ui/jobs/" + id;
  }
}
