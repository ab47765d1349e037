package dev.modelhub.registry;

import dev.modelhub.common.Actors;
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
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/models}: create, list, read, change and delete models. */
@RestController
@RequestMapping("/api/v1/models")
class ModelController {

  private final ModelService models;

  ModelController(ModelService models) {
    this.models = models;
  }

  @PostMapping
  ResponseEntity<ModelView> create(
      @Valid @RequestBody Requests.CreateModel request,
      @RequestHeader(name = Actors.HEADER, required = false) String actor) {
    ModelView model = models.create(request, Actors.fromHeader(actor));
    return ResponseEntity.created(URI.create("/api/v1/models/" + model.name())).body(model);
  }

  @GetMapping
  PageView<ModelView> list(
      @RequestParam(required = false) String query,
      @RequestParam(defaultValue = "0") @Min(0) int page,
      @RequestParam(defaultValue = "20") @Min(1) @Max(200) int size) {
    return models.list(query, page, size);
  }

  @GetMapping("/{name}")
  ModelView get(
      @PathVariable @Pattern(regexp = Names.PATTERN, message = Names.MESSAGE) String name) {
    return models.get(name);
  }

  @PatchMapping("/{name}")
  ModelView update(
      @PathVariable @Pattern(regexp = Names.PATTERN, message = Names.MESSAGE) String name,
      @Valid @RequestBody Requests.Update request) {
    return models.update(name, request);
  }

  @DeleteMapping("/{name}")
  ResponseEntity<Void> delete(
      @PathVariable @Pattern(regexp = Names.PATTERN, message = Names.MESSAGE) String name) {
    models.delete(name);
    return ResponseEntity.noContent().build();
  }
}
