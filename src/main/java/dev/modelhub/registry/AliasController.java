package dev.modelhub.registry;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.PageView;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.util.List;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/models/{name}/aliases}: point aliases at versions and read their history. */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Aliases")
@ConditionalOnRole(NodeRole.API)
@RestController
@RequestMapping("/api/v1/models/{name}/aliases")
class AliasController {

  private final AliasService aliases;

  AliasController(AliasService aliases) {
    this.aliases = aliases;
  }

  @GetMapping
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "listAliases",
      summary = "List a model's aliases")
  List<AliasView> list(@PathVariable String name) {
    return aliases.list(name);
  }

  @GetMapping("/{alias}")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(operationId = "getAlias", summary = "Read an alias")
  AliasView get(@PathVariable String name, @PathVariable String alias) {
    return aliases.get(name, alias);
  }

  @PutMapping("/{alias}")
  @Allow(Role.DEPLOYER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "moveAlias",
      summary = "Point an alias at a version (promote, roll back)",
      description =
          "Serving nodes load the version and swap it in without failing a request. Pointing an alias where it already points changes and records nothing, so a pipeline may retry. A version whose validation load failed is refused (409) unless `force`.")
  AliasView move(
      @PathVariable String name,
      @PathVariable String alias,
      @Valid @RequestBody Requests.MoveAlias request,
      @RequestParam(defaultValue = "false") boolean force,
      Caller caller) {
    return aliases.move(
        name, alias, request.version(), force || Boolean.TRUE.equals(request.force()), caller);
  }

  @DeleteMapping("/{alias}")
  @Allow(Role.DEPLOYER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "deleteAlias",
      summary = "Remove an alias",
      description = "Nodes stop serving the version under it.")
  @io.swagger.v3.oas.annotations.responses.ApiResponse(
      responseCode = "204",
      description = "Removed")
  ResponseEntity<Void> delete(
      @PathVariable String name, @PathVariable String alias, Caller caller) {
    aliases.delete(name, alias, caller);
    return ResponseEntity.noContent().build();
  }

  @GetMapping("/{alias}/history")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "aliasHistory",
      summary = "Read an alias's history",
      description = "Every move, newest first, with who made it.")
  PageView<AliasMove> history(
      @PathVariable String name,
      @PathVariable String alias,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
    return aliases.history(name, alias, page, size);
  }
}
