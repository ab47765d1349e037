package dev.modelhub.optimize;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.NodeRole;
import dev.modelhub.common.PageView;
import dev.modelhub.common.UnsupportedMediaTypeException;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.jakarta.servlet6.JakartaServletFileUpload;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/** Optimization jobs and datasets over REST. */
@ConditionalOnRole(NodeRole.API)
@RestController
class OptimizeController {

  /**
   * Asks for a variant.
   *
   * @param pass the pass's name
   * @param params its parameters
   */
  record OptimizationRequest(
      @io.swagger.v3.oas.annotations.media.Schema(
              requiredMode = io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED,
              allowableValues = {
                "quantize-int8-dynamic",
                "quantize-int8-weights",
                "convert-fp16",
                "prune-magnitude",
                "low-rank",
                "distill"
              })
          String pass,
      @io.swagger.v3.oas.annotations.media.Schema(
              description = "The pass's parameters (see the README's Optimization jobs)")
          JsonNode params) {}

  /** Raw dataset bodies: the format is read from the content, not the type. */
  private static final List<String> RAW_TYPES =
      List.of(
          "text/csv",
          MediaType.TEXT_PLAIN_VALUE,
          MediaType.APPLICATION_OCTET_STREAM_VALUE,
          "application/zip",
          "application/x-npz");

  private final OptimizationService optimizations;
  private final DatasetService datasets;

  /** A multipart dataset upload, as the document describes it. */
  @io.swagger.v3.oas.annotations.media.Schema(name = "DatasetUpload")
  record FilePart(
      @io.swagger.v3.oas.annotations.media.Schema(
              type = "string",
              format = "binary",
              requiredMode = io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED)
          String file) {}

  OptimizeController(OptimizationService optimizations, DatasetService datasets) {
    this.optimizations = optimizations;
    this.datasets = datasets;
  }

  @PostMapping("/api/v1/models/{name}/versions/{version}/optimizations")
  @Allow(Role.PUBLISHER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "optimize",
      summary = "Start an optimization job",
      description =
          "Queues a job that makes a compressed variant of the version (`pass`: quantize-int8-dynamic, quantize-int8-weights, convert-fp16, prune-magnitude, low-rank, distill) and registers it as a new version with a report against its parent. Answers 202 with the job; poll it until its status is final.",
      tags = "Optimization jobs")
  @io.swagger.v3.oas.annotations.responses.ApiResponse(
      responseCode = "202",
      description = "Queued; poll the job (its URL in Location)",
      useReturnTypeSchema = true)
  ResponseEntity<JobView> optimize(
      @PathVariable String name,
      @PathVariable int version,
      @RequestBody OptimizationRequest request,
      Caller caller) {
    JobView job = optimizations.submit(name, version, request.pass(), request.params(), caller);
    return ResponseEntity.status(HttpStatus.ACCEPTED)
        .location(URI.create("/api/v1/jobs/" + job.id()))
        .body(job);
  }

  @GetMapping("/api/v1/jobs/{id}")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "getJob",
      summary = "Read a job",
      description = "Its status, progress, and when done its report and the version it made.",
      tags = "Optimization jobs")
  JobView job(@PathVariable long id, Caller caller) {
    return optimizations.get(id, caller);
  }

  /** Jobs of the models the caller may see, newest first. */
  @GetMapping("/api/v1/jobs")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "listJobs",
      summary = "List jobs",
      description = "Jobs of the models the caller may see, newest first.",
      tags = "Optimization jobs")
  PageView<JobView> jobs(
      @RequestParam(required = false) String model,
      @RequestParam(required = false) JobStatus status,
      @RequestParam(required = false) String pass,
      @RequestParam(defaultValue = "0") @Min(0) @Max(PageView.MAX_PAGE) int page,
      @RequestParam(defaultValue = "20") @Min(1) @Max(200) int size,
      Caller caller) {
    return optimizations.list(model, status, pass, caller.scope(), page, size);
  }

  @PostMapping("/api/v1/jobs/{id}/cancel")
  @Allow(Role.PUBLISHER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "cancelJob",
      summary = "Cancel a job",
      description = "A queued job never runs; a running one stops at its next checkpoint.",
      tags = "Optimization jobs")
  JobView cancel(@PathVariable long id, Caller caller) {
    return optimizations.cancel(id, caller);
  }

  /**
   * Uploads a dataset, CSV or NumPy .npz (told apart by content): the raw body (text/csv,
   * application/octet-stream, application/zip, application/x-npz), or a multipart 'file' part.
   */
  @PostMapping({"/api/v1/models/{name}/datasets", "/ui/models/{name}/datasets"})
  @Allow(Role.PUBLISHER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "uploadDataset",
      summary = "Upload a dataset",
      description =
          "CSV (a header row; a `label` column for accuracy) or NumPy .npz, told apart by content: the raw body, or a multipart `file` part.",
      tags = "Datasets")
  @io.swagger.v3.oas.annotations.parameters.RequestBody(
      required = true,
      description = "The dataset: CSV or NumPy .npz as the raw body, or a multipart 'file' part",
      content = {
        @io.swagger.v3.oas.annotations.media.Content(
            mediaType = "text/csv",
            schema = @io.swagger.v3.oas.annotations.media.Schema(type = "string")),
        @io.swagger.v3.oas.annotations.media.Content(
            mediaType = "text/plain",
            schema = @io.swagger.v3.oas.annotations.media.Schema(type = "string")),
        @io.swagger.v3.oas.annotations.media.Content(
            mediaType = "application/octet-stream",
            schema =
                @io.swagger.v3.oas.annotations.media.Schema(type = "string", format = "binary")),
        @io.swagger.v3.oas.annotations.media.Content(
            mediaType = "application/zip",
            schema =
                @io.swagger.v3.oas.annotations.media.Schema(type = "string", format = "binary")),
        @io.swagger.v3.oas.annotations.media.Content(
            mediaType = "application/x-npz",
            schema =
                @io.swagger.v3.oas.annotations.media.Schema(type = "string", format = "binary")),
        @io.swagger.v3.oas.annotations.media.Content(
            mediaType = "multipart/form-data",
            schema = @io.swagger.v3.oas.annotations.media.Schema(implementation = FilePart.class))
      })
  @io.swagger.v3.oas.annotations.responses.ApiResponse(
      responseCode = "201",
      description = "Stored",
      useReturnTypeSchema = true)
  ResponseEntity<DatasetView> upload(
      @PathVariable String name,
      @RequestParam("name") String datasetName,
      Caller caller,
      HttpServletRequest request)
      throws IOException {
    String type = request.getContentType() == null ? "" : request.getContentType();
    DatasetView dataset;
    if (type.startsWith(MediaType.MULTIPART_FORM_DATA_VALUE)) {
      dataset = fromMultipart(name, datasetName, caller, request);
    } else if (RAW_TYPES.stream().anyMatch(type::startsWith)) {
      dataset = datasets.upload(name, datasetName, request.getInputStream(), caller);
    } else {
      throw new UnsupportedMediaTypeException(
          "Send the dataset as one of "
              + RAW_TYPES
              + ", or multipart/form-data with a 'file' part, not '"
              + type
              + "'.");
    }
    return ResponseEntity.created(
            URI.create("/api/v1/models/" + name + "/datasets/" + dataset.id()))
        .body(dataset);
  }

  @GetMapping("/api/v1/models/{name}/datasets")
  @Allow(Role.VIEWER)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "listDatasets",
      summary = "List a model's datasets",
      tags = "Datasets")
  List<DatasetView> datasets(@PathVariable String name) {
    return datasets.list(name);
  }

  private DatasetView fromMultipart(
      String model, String name, Caller caller, HttpServletRequest request) throws IOException {
    FileItemInputIterator parts = new JakartaServletFileUpload<>().getItemIterator(request);
    while (parts.hasNext()) {
      FileItemInput part = parts.next();
      if ("file".equals(part.getFieldName())) {
        try (InputStream in = part.getInputStream()) {
          return datasets.upload(model, name, in, caller);
        }
      }
    }
    throw new InvalidRequestException("The multipart body has no 'file' part holding the dataset.");
  }
}
