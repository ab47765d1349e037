package dev.modelhub.serving.http;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.SlotStatus;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/v1/serving}: what this node serves, per model alias. */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Serving status")
@ConditionalOnRole(NodeRole.SERVING)
@RestController
class ServingStatusController {

  /** This node's serving state. */
  record NodeStatus(String node, boolean ready, List<SlotStatus> models) {}

  private final InferenceService inference;
  private final String node;

  ServingStatusController(InferenceService inference) {
    this.inference = inference;
    this.node = hostname();
  }

  /** What this node serves of the models the caller may see. */
  @GetMapping("/api/v1/serving")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "servingStatus",
      summary = "What this node serves",
      description =
          "Per model alias: the version serving, the one wanted, the state (LOADING, READY, UPDATING, FAILED, CRASHING) and the last error.")
  NodeStatus status(Caller caller) {
    return new NodeStatus(
        node,
        inference.ready(),
        inference.status().stream().filter(s -> caller.mayAccess(s.model())).toList());
  }

  private static String hostname() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
