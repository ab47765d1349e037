package dev.modelhub.ops;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.NotFoundException;
import dev.modelhub.security.Public;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * What a node answers for another role's endpoints: a 404 problem that says which roles it has and
 * where such requests go, rather than a bare "no such resource" that sends people looking for a
 * wrong path. More specific mappings (say {@code /api/v1/serving} on a serving node) still win.
 */
final class MissingRoles {

  private MissingRoles() {}

  static NotFoundException notOnThisNode(NodeRole role, String what) {
    // The node's own roles are not named: a stranger learns only what any 404 would tell.
    return new NotFoundException(
        "role-not-on-node",
        "Not served by this node",
        "This node does not "
            + what
            + ". Send the request to a node with the '"
            + role.label()
            + "' role in its modelhub.roles (in the Helm chart, the release's "
            + role.label()
            + " Service).");
  }

  /** Inference on a node without the serving role. */
  @RestController
  @io.swagger.v3.oas.annotations.Hidden
  @ConditionalOnRole(value = NodeRole.SERVING, absent = true)
  @Public
  static class Inference {
    @RequestMapping({"/v2/**", "/v1/models/**", "/api/v1/serving", "/api/v1/models/{name}/predict"})
    void inference() {
      throw notOnThisNode(NodeRole.SERVING, "serve inference or report what it serves");
    }
  }

  /** The REST API and the dashboard on a node without the api role. */
  @RestController
  @io.swagger.v3.oas.annotations.Hidden
  @ConditionalOnRole(value = NodeRole.API, absent = true)
  @Public
  static class Api {
    @RequestMapping({"/api/**", "/ui/**", "/"})
    void api() {
      throw notOnThisNode(NodeRole.API, "serve the REST API or the dashboard");
    }
  }
}
