package dev.modelhub.web;

import dev.modelhub.common.ConditionalOnRole;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.NodeRole;
import dev.modelhub.format.Pipeline;
import dev.modelhub.optimize.DatasetService;
import dev.modelhub.optimize.JobView;
import dev.modelhub.optimize.OptimizationService;
import dev.modelhub.registry.ModelService;
import dev.modelhub.registry.Requests;
import dev.modelhub.registry.VersionService;
import dev.modelhub.registry.VersionView;
import dev.modelhub.security.Allow;
import dev.modelhub.security.Caller;
import dev.modelhub.security.Role;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/** A version's page (signature, tags, report against its parent), comparison, optimization. */
@ConditionalOnRole(NodeRole.API)
@Controller
class VersionPages {

  private final ModelService models;
  private final VersionService versions;
  private final OptimizationService optimizations;
  private final DatasetService datasets;
  private final Validator validator;
  private final ObjectMapper json;

  VersionPages(
      ModelService models,
      VersionService versions,
      OptimizationService optimizations,
      DatasetService datasets,
      Validator validator,
      ObjectMapper json) {
    this.models = models;
    this.versions = versions;
    this.optimizations = optimizations;
    this.datasets = datasets;
    this.validator = validator;
    this.json = json;
  }

  /** One row of the pipeline table: where the step runs, its type, its settings. */
  record PipelineStep(String stage, String type, String settings) {}

  /** The pipeline's steps as rows, settings as compact JSON without the type. */
  private List<PipelineStep> pipelineSteps(Pipeline pipeline) {
    List<PipelineStep> rows = new ArrayList<>();
    if (pipeline == null) {
      return rows;
    }
    for (var stage : List.of(pipeline.preprocess(), pipeline.postprocess())) {
      for (Pipeline.Step step : stage) {
        ObjectNode settings = (ObjectNode) json.valueToTree(step);
        settings.remove("type");
        rows.add(
            new PipelineStep(
                stage == pipeline.preprocess() ? "pre" : "post",
                step.type(),
                settings.isEmpty() ? "" : settings.toString()));
      }
    }
    return rows;
  }

  @GetMapping("/ui/models/{name}/versions/{version}")
  @Allow(Role.VIEWER)
  String version(@PathVariable String name, @PathVariable int version, Model model) {
    VersionView view = versions.get(name, version);
    model.addAttribute("model", models.get(name));
    model.addAttribute("v", view);
    model.addAttribute(
        "parent", view.parentVersion() == null ? null : versions.get(name, view.parentVersion()));
    model.addAttribute("lineageLabel", Lineage.label(view.lineage()));
    model.addAttribute("pipelineSteps", pipelineSteps(view.pipeline()));
    model.addAttribute("rows", ReportRows.of(view.report()));
    model.addAttribute("tagsText", tagsText(view.tags()));
    if (!model.containsAttribute("passDefaults")) {
      model.addAttribute("passDefaults", optimizations.passDefaults());
    }
    model.addAttribute("datasets", datasets.list(name));
    return "version";
  }

  /** Tags as {@code key=value} lines, description as text; the API's limits apply. */
  @PostMapping("/ui/models/{name}/versions/{version}/details")
  @Allow(Role.PUBLISHER)
  String details(
      @PathVariable String name,
      @PathVariable int version,
      @RequestParam(defaultValue = "") String description,
      @RequestParam(defaultValue = "") String tags,
      Caller caller,
      RedirectAttributes flash) {
    Requests.Update update = new Requests.Update(description, parseTags(tags));
    Set<ConstraintViolation<Requests.Update>> violations = validator.validate(update);
    if (!violations.isEmpty()) {
      throw new InvalidRequestException(
          violations.stream()
              .map(v -> v.getPropertyPath() + " " + v.getMessage())
              .sorted()
              .collect(Collectors.joining("; ")));
    }
    versions.update(name, version, update, caller);
    flash.addFlashAttribute("notice", "Description and tags saved.");
    return "redirect:/ui/models/" + name + "/versions/" + version;
  }

  /** Any two versions side by side. */
  @GetMapping("/ui/models/{name}/compare")
  @Allow(Role.VIEWER)
  String compare(@PathVariable String name, @RequestParam int a, @RequestParam int b, Model model) {
    VersionView left = versions.get(name, Math.min(a, b));
    VersionView right = versions.get(name, Math.max(a, b));
    model.addAttribute("model", models.get(name));
    model.addAttribute("left", left);
    model.addAttribute("right", right);
    model.addAttribute("signature", SignatureDiff.of(left.signature(), right.signature()));
    model.addAttribute("leftRows", ReportRows.of(left.report()));
    model.addAttribute("rightRows", ReportRows.of(right.report()));
    return "compare";
  }

  /**
   * Starts an optimization with the API's validation; a refusal is shown on the form with what was
   * typed kept.
   */
  @PostMapping("/ui/models/{name}/versions/{version}/optimize")
  @Allow(Role.PUBLISHER)
  String optimize(
      @PathVariable String name,
      @PathVariable int version,
      @RequestParam String pass,
      @RequestParam(defaultValue = "{}") String params,
      @RequestParam(defaultValue = "") String dataset,
      @RequestParam(defaultValue = "") String maxAccuracyDrop,
      Caller caller,
      Model model,
      HttpServletResponse response) {
    try {
      JsonNode parsed = parseParams(params);
      if (parsed instanceof ObjectNode object) {
        if (!dataset.isBlank()) {
          object.put("dataset", dataset);
        }
        if (!maxAccuracyDrop.isBlank()) {
          object.put("maxAccuracyDrop", number(maxAccuracyDrop));
        }
      }
      JobView job = optimizations.submit(name, version, pass, parsed, caller);
      return "redirect:/ui/jobs/" + job.id();
    } catch (ErrorResponseException refused) {
      if (refused.getStatusCode().is5xxServerError()) {
        throw refused; // the advice answers it with a reference, not its detail
      }
      response.setStatus(refused.getStatusCode().value()); // and the refusal is audited
      Map<String, String> defaults = new LinkedHashMap<>(optimizations.passDefaults());
      defaults.put(pass, params); // what was typed stays in the form
      model.addAttribute("passDefaults", defaults);
      model.addAttribute("optimizeError", refused.getBody().getDetail());
      model.addAttribute("chosenPass", pass);
      return version(name, version, model);
    }
  }

  private JsonNode parseParams(String text) {
    try {
      JsonNode parsed = json.readTree(text.isBlank() ? "{}" : text);
      if (!parsed.isObject()) {
        throw new InvalidRequestException(
            "Parameters must be a JSON object, like {\"perChannel\": true}.");
      }
      return parsed;
    } catch (JacksonException e) {
      throw new InvalidRequestException("Parameters are not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static double number(String text) {
    try {
      return Double.parseDouble(text.strip());
    } catch (NumberFormatException e) {
      throw new InvalidRequestException("The largest accuracy drop must be a number, like 0.01.");
    }
  }

  static String tagsText(Map<String, String> tags) {
    return tags.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining("\n"));
  }

  static Map<String, String> parseTags(String text) {
    Map<String, String> tags = new LinkedHashMap<>();
    for (String line : text.split("\\R")) {
      if (line.isBlank()) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new InvalidRequestException(
            "Each tag is a line key=value; '" + line.strip() + "' has no key.");
      }
      tags.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
    }
    return tags;
  }
}
