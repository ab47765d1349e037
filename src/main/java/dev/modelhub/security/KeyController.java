package dev.modelhub.security;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.PageView;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/keys}: make, list and revoke API keys (admin, with a key for all models). */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Keys")
@ConditionalOnRole(NodeRole.API)
@RestController
@RequestMapping("/api/v1/keys")
@Allow(value = Role.ADMIN, scoped = false)
class KeyController {

  /**
   * A key to make.
   *
   * @param name who or what will hold it: a person, a pipeline ({@code ci/fraud-retrain})
   * @param role {@code viewer}, {@code publisher}, {@code deployer} or {@code admin}
   * @param models model-name patterns the key is limited to ({@code vision-*}); absent or empty
   *     means every model
   * @param expiresAt when it stops working; absent means never
   */
  record NewKey(
      @NotNull
          @Pattern(
              regexp = "^[A-Za-z0-9][A-Za-z0-9 ._@/:+-]{0,99}$",
              message =
                  "must be 1-100 letters, digits, spaces or . _ @ / : + -, starting with a"
                      + " letter or digit")
          String name,
      @NotNull
          @io.swagger.v3.oas.annotations.media.Schema(
              allowableValues = {"viewer", "publisher", "deployer", "admin"},
              description = "The key's role (case does not matter)")
          String role,
      @Size(max = 50)
          List<
                  @NotNull
                  @Pattern(
                      regexp = ModelScope.PATTERN,
                      message = "must be a model name in which * stands for any characters")
                  String>
              models,
      Instant expiresAt) {}

  private final KeyService keys;

  KeyController(KeyService keys) {
    this.keys = keys;
  }

  @PostMapping
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "createKey",
      summary = "Create an API key",
      description = "The secret is in this answer only; it is stored as a hash.")
  @io.swagger.v3.oas.annotations.responses.ApiResponse(
      responseCode = "201",
      description = "Created; the secret is in `key`, here only",
      useReturnTypeSchema = true)
  ResponseEntity<CreatedKey> create(@Valid @RequestBody NewKey request, Caller caller) {
    CreatedKey created =
        keys.create(
            caller,
            request.name(),
            Role.fromId(request.role())
                .orElseThrow(
                    () ->
                        new InvalidRequestException(
                            "role: must be viewer, publisher, deployer or admin, not '"
                                + request.role()
                                + "'.")),
            request.models(),
            request.expiresAt());
    return ResponseEntity.created(URI.create("/api/v1/keys/" + created.details().id()))
        .body(created);
  }

  @GetMapping
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "listKeys",
      summary = "List API keys",
      description = "Without their secrets.")
  PageView<KeyView> list(
      @RequestParam(defaultValue = "false") boolean includeRevoked,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
    return keys.list(includeRevoked, page, size);
  }

  @GetMapping("/{id}")
  @io.swagger.v3.oas.annotations.Operation(operationId = "getKey", summary = "Read an API key")
  KeyView get(@PathVariable long id) {
    return keys.get(id);
  }

  /** Revokes a key; it stops working on every node within a second. */
  @DeleteMapping("/{id}")
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "revokeKey",
      summary = "Revoke an API key",
      description = "Every node refuses it within a second. The last admin key cannot be revoked.")
  @io.swagger.v3.oas.annotations.responses.ApiResponse(
      responseCode = "204",
      description = "Revoked")
  ResponseEntity<Void> revoke(@PathVariable long id, Caller caller) {
    keys.revoke(caller, id);
    return ResponseEntity.noContent().build();
  }
}
