package dev.modelhub.security;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.PageView;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Instant;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/audit}: who changed what, and who was refused (admin, all models). */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Audit")
@ConditionalOnRole(NodeRole.API)
@RestController
class AuditController {

  private final AuditLog audit;

  AuditController(AuditLog audit) {
    this.audit = audit;
  }

  @GetMapping("/api/v1/audit")
  @Allow(value = Role.ADMIN, scoped = false)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "listAudit",
      summary = "Read the audit trail",
      description =
          "Every change and every refusal, newest first, filtered by model, actor, action, time, outcome or request id.")
  PageView<AuditEvent> list(
      @RequestParam(required = false) String model,
      @RequestParam(required = false) String actor,
      @RequestParam(required = false) String action,
      @RequestParam(required = false) Instant since,
      @RequestParam(required = false) Instant until,
      @RequestParam(required = false) String outcome,
      @RequestParam(required = false) String requestId,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
    return audit.list(
        new AuditQuery(model, actor, action, since, until, outcome, requestId), page, size);
  }
}
