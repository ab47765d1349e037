package dev.modelhub.web;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.PageView;
import dev.modelhub.registry.AliasService;
import dev.modelhub.registry.AliasView;
import dev.modelhub.registry.ModelService;
import dev.modelhub.registry.VersionService;
import dev.modelhub.registry.VersionView;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import dev.modelhub.serving.ServingProperties;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** The models list, a model's page (versions, lineage, aliases), promotion and roll-back. */
@ConditionalOnRole(NodeRole.API)
@Controller
class ModelPages {

  private final ModelService models;
  private final VersionService versions;
  private final AliasService aliases;
  private final List<String> servedAliases;

  ModelPages(
      ModelService models,
      VersionService versions,
      AliasService aliases,
      ServingProperties serving) {
    this.models = models;
    this.versions = versions;
    this.aliases = aliases;
    this.servedAliases = serving.aliases();
  }

  @GetMapping("/ui")
  @Allow(Role.VIEWER)
  String list(
      @RequestParam(defaultValue = "") String query,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      Caller caller,
      Model model) {
    model.addAttribute("query", query);
    model.addAttribute("page", models.list(query, caller.scope(), page, 25));
    model.addAttribute("columns", servedAliases);
    return "models";
  }

  @GetMapping("/ui/models/{name}")
  @Allow(Role.VIEWER)
  String model(
      @PathVariable String name,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      @RequestParam(defaultValue = "50") @Min(1) @Max(200) int size,
      Model model) {
    PageView<VersionView> page1 = versions.list(name, page, size);
    List<AliasView> aliasList = aliases.list(name);
    model.addAttribute("model", models.get(name));
    model.addAttribute("versions", page1);
    model.addAttribute("lineage", Lineage.of(page1.items()));
    Map<String, AliasView> byName = new LinkedHashMap<>();
    aliasList.forEach(a -> byName.put(a.alias(), a));
    model.addAttribute("aliasByName", byName);
    Map<String, Object> histories = new LinkedHashMap<>();
    for (AliasView alias : aliasList) {
      histories.put(alias.alias(), aliases.history(name, alias.alias(), 0, 10).items());
    }
    model.addAttribute("histories", histories);
    List<String> names = new ArrayList<>(servedAliases);
    aliasList.stream().map(AliasView::alias).filter(a -> !names.contains(a)).forEach(names::add);
    model.addAttribute("aliasNames", names);
    return "model";
  }

  /** What a promotion will change, to confirm before it happens. */
  @GetMapping("/ui/models/{name}/aliases/{alias}/promote")
  @Allow(Role.DEPLOYER)
  String confirmPromotion(
      @PathVariable String name,
      @PathVariable String alias,
      @RequestParam int version,
      Model model) {
    model.addAttribute("model", models.get(name));
    model.addAttribute("alias", alias);
    model.addAttribute("target", versions.get(name, version));
    model.addAttribute(
        "current",
        aliases.list(name).stream()
            .filter(a -> a.alias().equals(alias))
            .findFirst()
            .map(a -> versions.get(name, a.version()))
            .orElse(null));
    return "promote";
  }

  @PostMapping("/ui/models/{name}/aliases/{alias}")
  @Allow(Role.DEPLOYER)
  String promote(
      @PathVariable String name,
      @PathVariable String alias,
      @RequestParam int version,
      @RequestParam(defaultValue = "false") boolean force,
      Caller caller,
      RedirectAttributes flash) {
    AliasView moved = aliases.move(name, alias, version, force, caller);
    flash.addFlashAttribute(
        "notice", alias + " now points at v" + moved.version() + " (was " + was(moved) + ").");
    return "redirect:/ui/models/" + name;
  }

  /** Moves the alias back to the version it pointed at before its last move. */
  @PostMapping("/ui/models/{name}/aliases/{alias}/rollback")
  @Allow(Role.DEPLOYER)
  String rollBack(
      @PathVariable String name,
      @PathVariable String alias,
      @RequestParam int expected,
      Caller caller,
      RedirectAttributes flash) {
    return aliases
        .rollBackFrom(name, alias, expected, caller)
        .map(
            moved -> {
              flash.addFlashAttribute(
                  "notice",
                  alias + " rolled back to v" + moved.version() + " (was v" + expected + ").");
              return "redirect:/ui/models/" + name;
            })
        .orElseGet(
            () -> {
              // Someone moved it since the page was shown: nothing changes behind the person's
              // back.
              flash.addFlashAttribute(
                  "notice",
                  alias
                      + " has moved since the page was shown (or has no earlier version); look"
                      + " again before rolling back.");
              return "redirect:/ui/models/" + name;
            });
  }

  private static String was(AliasView moved) {
    return moved.previousVersion() == null ? "unset" : "v" + moved.previousVersion();
  }
}
