package dev.modelhub.registry;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.PageView;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Caller;
import dev.modelhub.security.ModelOutOfScope;
import dev.modelhub.security.Role;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/models}: create, list, read, change and delete models. */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Models")
@ConditionalOnRole(NodeRole.API)
@RestController
@RequestMapping("/api/v1/models")
class ModelController {

  private final ModelService models;

  ModelController(ModelService models) {
    this.models = models;
  }

  @PostMapping
  @Allow(Role.PUBLISHER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "createModel",
      summary = "Create a model",
      description = "A model is also created by its first version's upload.")
  @io.swagger.v3.oas.annotations.responses.ApiResponse(
      responseCode = "201",
      description = "Created",
      useReturnTypeSchema = true)
  ResponseEntity<ModelView> create(
      @Valid @RequestBody Requests.CreateModel request, Caller caller) {
    if (!caller.mayAccess(request.name())) {
      throw new ModelOutOfScope(caller); // the name is in the body, not the path
    }
    ModelView model = models.create(request, caller);
    return ResponseEntity.created(URI.create("/api/v1/models/" + model.name())).body(model);
  }

  /** Models the caller may see, by name; {@code query} searches names and descriptions. */
  @GetMapping
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "listModels",
      summary = "List models",
      description =
          "The models the caller's key may see, by name; `query` searches names and descriptions.")
  PageView<ModelView> list(
      @RequestParam(required = false) String query,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      @RequestParam(defaultValue = "20") @Min(1) @Max(200) int size,
      Caller caller) {
    return models.list(query, caller.scope(), page, size);
  }

  @GetMapping("/{name}")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "getModel",
      summary = "Read a model",
      description = "With its aliases and its latest version.")
  ModelView get(
      @PathVariable @Pattern(regexp = Names.PATTERN, message = Names.MESSAGE) String name) {
    return models.get(name);
  }

  @PatchMapping("/{name}")
  @Allow(Role.PUBLISHER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "updateModel",
      summary = "Change a model's description or tags",
      description = "Absent fields stay as they are; an empty description clears it.")
  ModelView update(
      @PathVariable @Pattern(regexp = Names.PATTERN, message = Names.MESSAGE) String name,
      @Valid @RequestBody Requests.Update request,
      Caller caller) {
    return models.update(name, request, caller);
  }

  @DeleteMapping("/{name}")
  @Allow(Role.ADMIN)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "deleteModel",
      summary = "Delete a model",
      description =
          "With its versions, aliases and artifacts no other model shares. Refused while an alias points at one of its versions.")
  @io.swagger.v3.oas.annotations.responses.ApiResponse(
      responseCode = "204",
      description = "Deleted")
  ResponseEntity<Void> delete(
      @PathVariable @Pattern(regexp = Names.PATTERN, message = Names.MESSAGE) String name,
      Caller caller) {
    models.delete(name, caller);
    return ResponseEntity.noContent().build();
  }
}
