package dev.modelhub.serving.http;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.NodeRole;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Role;
import dev.modelhub.serving.Classification;
import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorBytes;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.core.FileUploadSizeException;
import org.apache.commons.fileupload2.jakarta.servlet6.JakartaServletFileUpload;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The plain way to use a version's pipeline, for a web page or a script: {@code curl -F
 * image=@cat.png …/predict} (or JSON rows) answers labels and scores. The version under the default
 * alias answers unless {@code version} or {@code alias} says otherwise.
 */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Inference — pipelines")
@ConditionalOnRole(NodeRole.SERVING)
@RestController
@Allow(value = Role.VIEWER, inference = true)
class PredictController {

  /** Most images one multipart request may carry. */
  static final int MAX_IMAGES = dev.modelhub.serving.internal.ImageSteps.MAX_IMAGES;

  private final InferenceService inference;
  private final ServingProperties properties;
  private final ObjectMapper json;

  PredictController(InferenceService inference, ServingProperties properties, ObjectMapper json) {
    this.inference = inference;
    this.properties = properties;
    this.json = json;
  }

  /**
   * Answers {@code multipart/form-data} with one or more {@code image} parts (PNG, JPEG, GIF), or
   * JSON {@code {"images": ["<base64>", …]}} or {@code {"rows": [{"column": number, …}, …]}}: one
   * prediction per image or row, its classes best first after the pipeline's post-processing.
   */
  @PostMapping(path = "/api/v1/models/{name}/predict", produces = MediaType.APPLICATION_JSON_VALUE)
  @io.swagger.v3.oas.annotations.Operation(
      operationId = "predict",
      summary = "Predict labels for images or rows",
      description =
          "Through the version's pipeline (pre-processing, the model, post-processing): one prediction per image or row, its classes best first. `curl -F image=@cat.png …/predict`. The default alias's version answers unless `version` or `alias` says otherwise.")
  Map<String, Object> predict(
      @PathVariable String name,
      @RequestParam(required = false) Integer version,
      @RequestParam(required = false) String alias,
      HttpServletRequest request)
      throws IOException {
    if (version != null && alias != null) {
      throw ServingExceptions.invalidInput("Give version or alias, not both.");
    }
    try (InferenceService.Admission admitted = inference.admit(name, version, alias)) {
      Tensor input;
      try {
        input = input(admitted, request);
      } catch (RuntimeException e) {
        admitted.refused();
        throw e;
      }
      List<Map<String, Object>> predictions = new ArrayList<>();
      for (Classification row : admitted.predict(input)) {
        Map<String, Object> prediction = new LinkedHashMap<>();
        if (!row.classes().isEmpty()) {
          Classification.Scored best = row.classes().get(0);
          prediction.put(
              "label", best.label() == null ? Integer.toString(best.index()) : best.label());
          prediction.put("score", best.score());
        }
        prediction.put("classes", row.classes());
        predictions.add(prediction);
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("model", admitted.model().model());
      body.put("version", admitted.model().version());
      body.put("predictions", predictions);
      return body;
    }
  }

  private Tensor input(InferenceService.Admission admitted, HttpServletRequest request)
      throws IOException {
    String type = request.getContentType();
    MediaType media;
    try {
      media = type == null ? null : MediaType.parseMediaType(type);
    } catch (RuntimeException e) {
      media = null;
    }
    if (media != null && media.isCompatibleWith(MediaType.MULTIPART_FORM_DATA)) {
      return admitted.images(images(request));
    }
    if (media != null && media.isCompatibleWith(MediaType.APPLICATION_JSON)) {
      return fromJson(admitted, request);
    }
    throw new dev.modelhub.common.UnsupportedMediaTypeException(
        "Send multipart/form-data with 'image' parts, or application/json with \"images\" or"
            + " \"rows\".");
  }

  /** The {@code image} parts, read within the request size limit. */
  private List<byte[]> images(HttpServletRequest request) throws IOException {
    long max = properties.maxRequestSize().toBytes();
    if (request.getContentLengthLong() > max) {
      throw new ServingExceptions.RequestTooLarge(max);
    }
    JakartaServletFileUpload<?, ?> upload = new JakartaServletFileUpload<>();
    upload.setSizeMax(max);
    upload.setFileCountMax(MAX_IMAGES);
    List<byte[]> images = new ArrayList<>();
    try {
      FileItemInputIterator parts = upload.getItemIterator(request);
      while (parts.hasNext()) {
        FileItemInput part = parts.next();
        if (!"image".equals(part.getFieldName())) {
          throw ServingExceptions.invalidInput(
              "Unexpected part '"
                  + part.getFieldName()
                  + "'; send each image in a part named 'image'.");
        }
        if (images.size() == MAX_IMAGES) {
          throw ServingExceptions.invalidInput(
              "The request has more than " + MAX_IMAGES + " images.");
        }
        try (InputStream in = part.getInputStream()) {
          images.add(in.readAllBytes());
        }
      }
    } catch (FileUploadSizeException e) {
      throw new ServingExceptions.RequestTooLarge(max);
    } catch (FileUploadException e) {
      throw ServingExceptions.invalidInput(
          "The multipart body could not be read: " + e.getMessage() + ".");
    }
    if (images.isEmpty()) {
      throw ServingExceptions.invalidInput("The request has no 'image' part.");
    }
    return images;
  }

  private Tensor fromJson(InferenceService.Admission admitted, HttpServletRequest request)
      throws IOException {
    JsonNode body;
    try {
      body =
          json.readTree(RequestBodies.limited(request, properties.maxRequestSize().toBytes() / 4));
    } catch (JacksonException e) {
      throw V2Json.malformed("it is not valid JSON (" + e.getOriginalMessage() + ")");
    }
    JsonNode images = body.get("images");
    JsonNode rows = body.get("rows");
    if ((images == null) == (rows == null) || !(images == null ? rows : images).isArray()) {
      throw ServingExceptions.invalidInput(
          "The body must have \"images\" (a list of base64 text) or \"rows\" (a list of objects"
              + " of column values), one of the two.");
    }
    if (images != null) {
      List<byte[]> decoded = new ArrayList<>();
      for (int i = 0; i < images.size(); i++) {
        try {
          decoded.add(TensorBytes.base64(images.get(i).asString("")));
        } catch (IllegalArgumentException | JacksonException e) {
          throw ServingExceptions.invalidInput("Image " + i + " is not base64 text.");
        }
      }
      return admitted.images(decoded);
    }
    List<Map<String, Object>> values = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      JsonNode row = rows.get(i);
      if (!row.isObject()) {
        throw ServingExceptions.invalidInput("Row " + i + " is not an object of column values.");
      }
      Map<String, Object> columns = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> column : row.properties()) {
        JsonNode value = column.getValue();
        columns.put(
            column.getKey(), value.isNumber() ? (Object) value.asDouble() : value.toString());
      }
      values.add(columns);
    }
    return admitted.rows(values);
  }
}
