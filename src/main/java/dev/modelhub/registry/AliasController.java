package dev.modelhub.registry;

import dev.modelhub.common.Actors;
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
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/models/{name}/aliases}: point aliases at versions and read their history. */
@RestController
@RequestMapping("/api/v1/models/{name}/aliases")
class AliasController {

  private final AliasService aliases;

  AliasController(AliasService aliases) {
    this.aliases = aliases;
  }

  @GetMapping
  List<AliasView> list(@PathVariable String name) {
    return aliases.list(name);
  }

  @GetMapping("/{alias}")
  AliasView get(@PathVariable String name, @PathVariable String alias) {
    return aliases.get(name, alias);
  }

  @PutMapping("/{alias}")
  AliasView move(
      @PathVariable String name,
      @PathVariable String alias,
      @Valid @RequestBody Requests.MoveAlias request,
      @RequestHeader(name = Actors.HEADER, required = false) String actor) {
    return aliases.move(name, alias, request.version(), Actors.fromHeader(actor));
  }

  @DeleteMapping("/{alias}")
  ResponseEntity<Void> delete(
      @PathVariable String name,
      @PathVariable String alias,
      @RequestHeader(name = Actors.HEADER, required = false) String actor) {
    aliases.delete(name, alias, Actors.fromHeader(actor));
    return ResponseEntity.noContent().build();
  }

  @GetMapping("/{alias}/history")
  PageView<AliasMove> history(
      @PathVariable String name,
      @PathVariable String alias,
      @RequestParam(defaultValue = "0") @Min(0) int page,
      @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
    return aliases.history(name, alias, page, size);
  }
}
