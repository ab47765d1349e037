package dev.modelhub.web;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.PageView;
import dev.modelhub.optimize.DatasetService;
import dev.modelhub.security.Allow;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.AuditQuery;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import dev.modelhub.serving.InferenceService;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;

/** Serving status with the node's own traffic figures, the audit trail, the upload forms. */
@ConditionalOnRole(NodeRole.API)
@Controller
class OperatorPages {

  private final ObjectProvider<InferenceService> serving;
  private final Traffic traffic;
  private final AuditLog audit;
  private final DatasetService datasets;

  OperatorPages(
      ObjectProvider<InferenceService> serving,
      Traffic traffic,
      AuditLog audit,
      DatasetService datasets) {
    this.serving = serving;
    this.traffic = traffic;
    this.audit = audit;
    this.datasets = datasets;
  }

  @GetMapping("/ui/serving")
  @Allow(Role.VIEWER)
  String serving(Caller caller, Model model) {
    InferenceService node = serving.getIfAvailable();
    model.addAttribute("enabled", node != null);
    model.addAttribute(
        "slots",
        node == null
            ? java.util.List.of()
            : node.status().stream().filter(s -> caller.mayAccess(s.model())).toList());
    model.addAttribute("traffic", traffic.byModel());
    return "serving";
  }

  @GetMapping("/ui/audit")
  @Allow(value = Role.ADMIN, scoped = false)
  String audit(
      @RequestParam(required = false) String model,
      @RequestParam(required = false) String actor,
      @RequestParam(required = false) String action,
      @RequestParam(required = false) String outcome,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      Model view) {
    view.addAttribute(
        "page",
        audit.list(
            new AuditQuery(
                blank(model), blank(actor), blank(action), null, null, blank(outcome), null),
            page,
            50));
    view.addAttribute("filter", new AuditQuery(model, actor, action, null, null, outcome, null));
    return "audit";
  }

  @GetMapping("/ui/upload")
  @Allow(Role.PUBLISHER)
  String upload(@RequestParam(defaultValue = "") String model, Model view) {
    view.addAttribute("modelName", model);
    return "upload";
  }

  @GetMapping("/ui/models/{name}/datasets/new")
  @Allow(Role.PUBLISHER)
  String datasetUpload(@PathVariable String name, Model view) {
    view.addAttribute("modelName", name);
    view.addAttribute("datasets", datasets.list(name));
    return "dataset-upload";
  }

  private static String blank(String text) {
    return text == null || text.isBlank() ? null : text.strip();
  }
}
