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
  List<AliasView> list(@PathVariable String name) {
    return aliases.list(name);
  }

  @GetMapping("/{alias}")
  @Allow(Role.VIEWER)
  AliasView get(@PathVariable String name, @PathVariable String alias) {
    return aliases.get(name, alias);
  }

  @PutMapping("/{alias}")
  @Allow(Role.DEPLOYER)
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
  ResponseEntity<Void> delete(
      @PathVariable String name, @PathVariable String alias, Caller caller) {
    aliases.delete(name, alias, caller);
    return ResponseEntity.noContent().build();
  }

  @GetMapping("/{alias}/history")
  @Allow(Role.VIEWER)
  PageView<AliasMove> history(
      @PathVariable String name,
      @PathVariable String alias,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
    return aliases.history(name, alias, page, size);
  }
}
