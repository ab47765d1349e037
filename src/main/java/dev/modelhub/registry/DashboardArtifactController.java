package dev.modelhub.registry;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The dashboard's upload and download: the API's own handlers (streamed, checked, answered as a
 * version or a problem) under {@code /ui}, where the signed-in session (and, for the upload, its
 * CSRF token) authenticates them.
 */
@ConditionalOnRole(NodeRole.API)
@RestController
class DashboardArtifactController {

  private final VersionController api;

  DashboardArtifactController(VersionController api) {
    this.api = api;
  }

  @PostMapping("/ui/models/{name}/versions")
  @Allow(Role.PUBLISHER)
  ResponseEntity<VersionView> register(
      @PathVariable String name,
      @RequestParam(required = false) String filename,
      @RequestParam(required = false) String format,
      Caller caller,
      HttpServletRequest request)
      throws IOException {
    return api.register(name, filename, format, caller, request);
  }

  @GetMapping("/ui/models/{name}/versions/{version}/artifact")
  @Allow(Role.VIEWER)
  void download(
      @PathVariable String name,
      @PathVariable int version,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    api.download(name, version, request, response);
  }
}
