package dev.modelhub.registry;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.PageView;
import dev.modelhub.common.UnsupportedMediaTypeException;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.Pipeline;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Valid;
import jakarta.validation.Validator;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.io.IOException;
import java.net.URI;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** {@code /api/v1/models/{name}/versions}: register, list, read, change, archive, download. */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Versions")
@ConditionalOnRole(NodeRole.API)
@RestController
@RequestMapping("/api/v1/models/{name}/versions")
class VersionController {

  private final VersionUploads uploads;
  private final VersionService versions;
  private final ArtifactDownloads downloads;
  private final UploadProperties limits;
  private final ObjectMapper json;
  private final Validator validator;

  VersionController(
      VersionUploads uploads,
      VersionService versions,
      ArtifactDownloads downloads,
      UploadProperties limits,
      ObjectMapper json,
      Validator validator) {
    this.uploads = uploads;
    this.versions = versions;
    this.downloads = downloads;
    this.limits = limits;
    this.json = json;
    this.validator = validator;
  }

  /** A multipart version upload, as the document describes it. */
  @Schema(name = "VersionUpload")
  record UploadForm(
      @Schema(type = "string", format = "binary", requiredMode = Schema.RequiredMode.REQUIRED)
          String file,
      @Schema(description = "JSON: description, tags, signature, warmup, batching, pipeline")
          Requests.VersionMetadata metadata,
      @Schema(type = "string", format = "binary", description = "labels.txt: one class per line")
          String labels) {}

  /**
   * Registers a version. The body is read here, as a stream, rather than bound by Spring: it may be
   * many gigabytes.
   */
  @PostMapping
  @Allow(Role.PUBLISHER)
  @io.swagger.v3.oas.annotations.parameters.RequestBody(
      required = true,
      description =
          "The artifact as application/octet-stream, or multipart/form-data with a 'file' part and"
              + " optional parts: JSON 'metadata' {description, tags, signature, warmup, batching,"
              + " pipeline} and 'labels' (a text file, one class name per line).",
      content = {
        @Content(
            mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
            schema = @Schema(type = "string", format = "binary")),
        @Content(
            mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
            schema = @Schema(implementation = UploadForm.class))
      })
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "registerVersion",
      summary = "Upload a version",
      description =
          "Streams the artifact (any size) into object storage, inspects it (format, signature, parameters) and registers it as the model's next version; the model is created if absent. A failed upload leaves no row and no object. ONNX (.onnx, or .zip/.tar.gz with external data), TensorFlow SavedModel (.zip/.tar.gz) or TorchScript (.pt, with a signature in the metadata).")
  @io.swagger.v3.oas.annotations.responses.ApiResponse(
      responseCode = "201",
      description = "Registered",
      useReturnTypeSchema = true)
  ResponseEntity<VersionView> register(
      @PathVariable String name,
      @io.swagger.v3.oas.annotations.Parameter(
              description =
                  "The artifact's file name (model.onnx, model.pt, saved_model.zip, …), which"
                      + " helps tell formats apart; a multipart file part's own name otherwise")
          @RequestParam(required = false)
          String filename,
      @io.swagger.v3.oas.annotations.Parameter(
              description =
                  "onnx, saved_model or torchscript, when the content alone does not tell",
              schema = @Schema(allowableValues = {"onnx", "saved_model", "torchscript"}))
          @RequestParam(required = false)
          String format,
      Caller caller,
      HttpServletRequest request)
      throws IOException {
    Names.checkModel(name);
    if (filename != null) {
      Names.checkFilename(filename);
    }
    ModelFormat declared = parseFormat(format);
    MediaType type = contentType(request);
    VersionView version;
    if (type.isCompatibleWith(MediaType.MULTIPART_FORM_DATA)) {
      uploads.checkRoom(request.getContentLengthLong());
      MultipartUpload.Parts parts =
          MultipartUpload.read(request, uploads, json, limits.maxMetadataSize().toBytes());
      Requests.VersionMetadata metadata = parts.metadata();
      try {
        validate(metadata);
      } catch (RuntimeException e) {
        uploads.abandon(parts.staged());
        throw e;
      }
      String file = filename != null ? filename : parts.filename();
      version = uploads.complete(name, parts.staged(), file, declared, metadata, caller, null);
    } else if (type.isCompatibleWith(MediaType.APPLICATION_OCTET_STREAM)) {
      var staged = uploads.stage(request.getInputStream(), request.getContentLengthLong());
      version =
          uploads.complete(
              name, staged, filename, declared, Requests.VersionMetadata.EMPTY, caller, null);
    } else {
      throw unsupported(type);
    }
    return ResponseEntity.created(
            URI.create("/api/v1/models/" + name + "/versions/" + version.version()))
        .body(version);
  }

  @GetMapping
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "listVersions",
      summary = "List a model's versions",
      description = "Newest first.")
  PageView<VersionView> list(
      @PathVariable String name,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      @RequestParam(defaultValue = "20") @Min(1) @Max(200) int size) {
    return versions.list(name, page, size);
  }

  @GetMapping("/{version}")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "getVersion",
      summary = "Read a version",
      description = "Its signature, lineage, report, pipeline and aliases.")
  VersionView get(@PathVariable String name, @PathVariable int version) {
    return versions.get(name, version);
  }

  @PatchMapping("/{version}")
  @Allow(Role.PUBLISHER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "updateVersion",
      summary = "Change a version's description or tags")
  VersionView update(
      @PathVariable String name,
      @PathVariable int version,
      @Valid @RequestBody Requests.Update request,
      Caller caller) {
    return versions.update(name, version, request, caller);
  }

  /**
   * Sets the version's pre- and post-processing, checked against its signature at once (a 400 names
   * the step that does not fit). Nodes serving the version use it from their next request.
   */
  @PutMapping("/{version}/pipeline")
  @Allow(Role.PUBLISHER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "setPipeline",
      summary = "Set a version's pipeline",
      description =
          "Pre- and post-processing (images or rows in, labels out), checked against the signature at once: a step that does not fit is a 400 naming it. Replaces the whole pipeline, labels included. Nodes serving the version use it from the change notice on.")
  VersionView setPipeline(
      @PathVariable String name,
      @PathVariable int version,
      @Valid @RequestBody Pipeline pipeline,
      Caller caller) {
    return versions.pipeline(name, version, pipeline, caller);
  }

  /** Removes the version's pipeline: requests must then send tensors. */
  @DeleteMapping("/{version}/pipeline")
  @Allow(Role.PUBLISHER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "removePipeline",
      summary = "Remove a version's pipeline",
      description = "Requests must then send tensors.")
  VersionView removePipeline(@PathVariable String name, @PathVariable int version, Caller caller) {
    return versions.pipeline(name, version, null, caller);
  }

  /** Archives the version (it stays downloadable); refused while an alias points at it. */
  @DeleteMapping("/{version}")
  @Allow(Role.ADMIN)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "archiveVersion",
      summary = "Archive a version",
      description = "It stays downloadable; refused while an alias points at it.")
  VersionView archive(@PathVariable String name, @PathVariable int version, Caller caller) {
    return versions.archive(name, version, caller);
  }

  /** The measurements of a variant against its parent. */
  @GetMapping("/{version}/report")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "versionReport",
      summary = "Read a variant's report",
      description =
          "Its measurements against its parent: size, parameters, latency, agreement, accuracy.")
  JsonNode report(@PathVariable String name, @PathVariable int version) {
    return versions.report(name, version);
  }

  @GetMapping("/{version}/artifact")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "downloadArtifact",
      summary = "Download a version's artifact",
      description = "The stored bytes, with Range support and the digest as ETag.",
      responses =
          @io.swagger.v3.oas.annotations.responses.ApiResponse(
              responseCode = "200",
              description = "The artifact's bytes (206 for a Range)",
              content =
                  @io.swagger.v3.oas.annotations.media.Content(
                      mediaType = "application/octet-stream",
                      schema =
                          @io.swagger.v3.oas.annotations.media.Schema(
                              type = "string",
                              format = "binary"))))
  void download(
      @PathVariable String name,
      @PathVariable int version,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    downloads.send(versions.entity(name, version), request, response);
  }

  private void validate(Requests.VersionMetadata metadata) {
    Set<ConstraintViolation<Requests.VersionMetadata>> violations = validator.validate(metadata);
    if (!violations.isEmpty()) {
      throw new InvalidRequestException(
          "metadata: "
              + violations.stream()
                  .map(v -> v.getPropertyPath() + " " + v.getMessage())
                  .sorted()
                  .collect(Collectors.joining("; ")));
    }
  }

  private static ModelFormat parseFormat(String format) {
    if (format == null || format.isBlank()) {
      return null;
    }
    return ModelFormat.fromId(format)
        .orElseThrow(
            () ->
                new InvalidRequestException(
                    "format '" + format + "' is not one of " + ModelFormat.names() + "."));
  }

  private static MediaType contentType(HttpServletRequest request) {
    String header = request.getContentType();
    if (header == null || header.isBlank()) {
      throw unsupported(null);
    }
    try {
      return MediaType.parseMediaType(header);
    } catch (IllegalArgumentException e) {
      throw unsupported(null);
    }
  }

  /** 415 for a body that is neither octet-stream nor multipart. */
  /** 415 for an upload that is neither octet-stream nor multipart. */
  private static UnsupportedMediaTypeException unsupported(MediaType type) {
    return new UnsupportedMediaTypeException(
        "Send the artifact as application/octet-stream or multipart/form-data, not "
            + (type == null ? "a body without a valid Content-Type" : type.toString())
            + ".");
  }
}
