package dev.modelhub.common;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.servers.Server;
import io.swagger.v3.oas.models.tags.Tag;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document as a contract pipeline authors generate clients from: titled and versioned
 * with the build, tagged by capability, and with the RFC 9457 problems each operation can answer —
 * their statuses and the {@code type} values each status carries — described once here by rule
 * (what any operation with a path variable, a body, an upload, inference… can answer) rather than
 * on every handler.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiDocument {

  static final String PROBLEM = "Problem";

  static {
    // Free-form JSON (a report, a lineage, a pass's parameters) is any object to a client, not a
    // type of its own named after Jackson's tree class.
    org.springdoc.core.utils.SpringDocUtils.getConfig()
        .replaceWithSchema(tools.jackson.databind.JsonNode.class, new ObjectSchema());
  }

  /** Capabilities, in the order the document lists them. */
  static final Map<String, String> TAGS = new LinkedHashMap<>();

  static {
    TAGS.put("Models", "Models: named collections of versions, with tags and a description.");
    TAGS.put(
        "Versions",
        "Versions: uploaded artifacts (ONNX, TensorFlow SavedModel, TorchScript) with their"
            + " signature, lineage, reports and pipelines.");
    TAGS.put(
        "Aliases",
        "Aliases such as production and staging: which version serves, and every move in their"
            + " history. Promotion and rollback are alias moves.");
    TAGS.put("Datasets", "Datasets a model's optimization jobs evaluate and train on.");
    TAGS.put(
        "Optimization jobs",
        "Asynchronous jobs that make compressed variants (quantization, pruning, low-rank,"
            + " distillation), each registered as a new version with a report against its parent.");
    TAGS.put("Keys", "API keys: their roles, model patterns, expiry and revocation.");
    TAGS.put("Audit", "The audit trail: every change and every refusal.");
    TAGS.put("Serving status", "What a serving node has loaded, per model alias.");
    TAGS.put(
        "Inference — Open Inference Protocol",
        "The Open Inference Protocol v2 (KServe, Triton) over HTTP: JSON or binary tensors,"
            + " versions by number or alias, Triton's classification extension.");
    TAGS.put(
        "Inference — TensorFlow Serving",
        "TensorFlow Serving's REST API: predict, classify, model status and metadata; labels are"
            + " aliases.");
    TAGS.put(
        "Inference — pipelines",
        "Images or tabular rows in, labels out, through the pre- and post-processing a version"
            + " carries.");
  }

  /** Where a problem's type lives. */
  private static final String TYPE_BASE = ModelhubException.PROBLEM_BASE;

  private static final Map<Integer, String> REASONS =
      Map.ofEntries(
          Map.entry(400, "The request is invalid"),
          Map.entry(401, "No valid credentials"),
          Map.entry(403, "The caller's role or model patterns do not allow it"),
          Map.entry(404, "Not found"),
          Map.entry(409, "It conflicts with the current state"),
          Map.entry(413, "The body is too large"),
          Map.entry(415, "The body's media type is not accepted"),
          Map.entry(405, "The method is not allowed on this path"),
          Map.entry(416, "The range cannot be satisfied"),
          Map.entry(422, "The content cannot be processed"),
          Map.entry(429, "Too many requests"),
          Map.entry(500, "The server failed; quote the problem's reference"),
          Map.entry(503, "Not available right now; retry (see Retry-After)"),
          Map.entry(504, "The request ran out of time"),
          Map.entry(507, "The server has no room for it"));

  /**
   * One rule: operations whose method matches and whose path matches answer {@code status} with
   * these problem types.
   */
  private record Rule(Pattern method, Pattern path, int status, List<String> types) {
    boolean applies(String httpMethod, String pathPattern) {
      return method.matcher(httpMethod).matches() && path.matcher(pathPattern).matches();
    }
  }

  private static Rule rule(String method, String path, int status, String... types) {
    return new Rule(Pattern.compile(method), Pattern.compile(path), status, List.of(types));
  }

  private static final String INFERENCE =
      "/v2/models/\\{name}(/versions/\\{version})?/infer"
          + "|/v1/models/\\{name}(/versions/\\{version}|/labels/\\{label})?:(predict|classify)"
          + "|/api/v1/models/\\{name}/predict";

  private static final String SERVED =
      "/v2/models/.*|/v1/models/.*|/api/v1/models/\\{name}/predict";

  private static final List<Rule> RULES =
      List.of(
          rule(
              "POST|PUT|PATCH",
              "(?!(" + INFERENCE + ")$).*",
              400,
              "invalid-request",
              "malformed-body"),
          rule("POST|PUT|PATCH", "(?!(" + INFERENCE + ")$).*", 415, "unsupported-media-type"),
          rule(".*", ".*", 500, "internal-error"),
          rule("GET|DELETE", "/api/.*", 400, "invalid-request"),
          rule("GET|PUT|PATCH|DELETE", "/api/v1/models/\\{name}.*", 404, "model-not-found"),
          // An upload creates its model; predict answers for served models only.
          rule(
              "POST",
              "(?!/api/v1/models/\\{name}/(versions|predict)$)/api/v1/models/\\{name}.*",
              404,
              "model-not-found"),
          rule(".*", "/api/v1/models/\\{name}/versions/\\{version}.*", 404, "version-not-found"),
          // Moving an alias makes it if it is new; the version it is moved to must exist.
          rule("GET|DELETE", "/api/v1/models/\\{name}/aliases/\\{alias}.*", 404, "alias-not-found"),
          rule("PUT", "/api/v1/models/\\{name}/aliases/\\{alias}", 404, "version-not-found"),
          rule(".*", "/api/v1/jobs/\\{id}.*", 404, "job-not-found"),
          rule(".*", "/api/v1/keys/\\{id}", 404, "key-not-found"),
          rule("GET", ".*/report", 404, "report-not-found"),
          rule(".*", ".*", 404, "role-not-on-node"),
          rule("POST", "/api/v1/models", 409, "model-exists"),
          rule("DELETE", "/api/v1/models/\\{name}", 409, "alias-in-use"),
          rule("DELETE", "/api/v1/models/\\{name}/versions/\\{version}", 409, "alias-in-use"),
          rule(
              "PUT",
              "/api/v1/models/\\{name}/aliases/\\{alias}",
              409,
              "version-not-servable",
              "version-validating",
              "version-archived"),
          rule(
              "POST",
              "/api/v1/models/\\{name}/versions",
              400,
              "malformed-multipart",
              "upload-interrupted",
              "invalid-pipeline"),
          rule("PUT", ".*/pipeline", 400, "invalid-pipeline"),
          rule("POST", "/api/v1/models/\\{name}/(versions|datasets)", 413, "artifact-too-large"),
          rule("POST", "/api/v1/models/\\{name}/datasets", 400, "upload-interrupted"),
          rule("POST", ".*/optimizations", 422, "pass-not-applicable"),
          rule(
              "POST", "/api/v1/models/\\{name}/(versions|datasets)", 415, "unsupported-media-type"),
          rule(
              "POST",
              "/api/v1/models/\\{name}/versions",
              422,
              "invalid-artifact",
              "archive-rejected"),
          rule("POST", "/api/v1/models/\\{name}/(versions|datasets)", 503, "storage-unavailable"),
          rule("POST", "/api/v1/models/\\{name}/versions", 507, "insufficient-storage"),
          rule("GET", ".*/artifact", 416, "range-not-satisfiable"),
          rule("GET", ".*/artifact", 503, "storage-unavailable"),
          rule(
              "POST",
              ".*/optimizations",
              400,
              "unknown-pass",
              "invalid-pass-params",
              "dataset-required",
              "dataset-unlabelled"),
          rule("POST", ".*/optimizations", 404, "dataset-not-found"),
          rule("POST", ".*/optimizations", 409, "version-archived"),
          rule("POST", "/api/v1/jobs/\\{id}/cancel", 409, "job-finished"),
          rule("POST", "/api/v1/models/\\{name}/datasets", 409, "dataset-exists"),
          rule("POST", "/api/v1/models/\\{name}/datasets", 422, "invalid-dataset"),
          rule("POST", "/api/v1/keys", 409, "key-exists"),
          rule("DELETE", "/api/v1/keys/\\{id}", 409, "last-admin-key"),
          rule(".*", SERVED, 404, "model-not-served"),
          rule("POST", INFERENCE, 400, "invalid-inference-request"),
          rule("POST", INFERENCE, 413, "request-too-large"),
          rule("POST", "/api/v1/models/\\{name}/predict", 415, "unsupported-media-type"),
          rule("POST", INFERENCE, 422, "inference-failed"),
          rule("POST", INFERENCE, 429, "queue-full"),
          rule("POST", INFERENCE, 503, "model-loading", "engine-stopped"),
          rule("POST", INFERENCE, 504, "inference-timeout"));

  @Bean
  OpenApiCustomizer modelhubDocument(ObjectProvider<BuildProperties> build) {
    return openApi -> {
      BuildProperties properties = build.getIfAvailable();
      openApi.info(
          new Info()
              .title("Modelhub")
              .version(properties == null ? "dev" : properties.getVersion())
              .description(
                  "Modelhub keeps model versions (ONNX, TensorFlow SavedModel, TorchScript) in a"
                      + " registry — artifacts in S3, metadata in PostgreSQL — with aliases such as"
                      + " `production` and their history, makes compressed variants with"
                      + " asynchronous optimization jobs, and serves whichever version an alias"
                      + " points at over the Open Inference Protocol v2 and TensorFlow Serving's"
                      + " REST API, swapping versions without a failed request.\n\n"
                      + "Authenticate with `Authorization: Bearer <API key>` (or a JWT when the"
                      + " server trusts an identity provider). Each operation states the least"
                      + " role it needs (viewer < publisher < deployer < admin). Every error is"
                      + " an RFC 9457 `application/problem+json` whose `type` is"
                      + " `"
                      + TYPE_BASE
                      + "<slug>`; each operation lists the statuses and types it can answer."));
      openApi.servers(
          List.of(
              new Server()
                  .url("http://localhost:8080")
                  .description("A node started with ./mvnw spring-boot:run")));
      List<Tag> tags = new ArrayList<>();
      TAGS.forEach((name, description) -> tags.add(new Tag().name(name).description(description)));
      openApi.tags(tags);
      openApi.getComponents().addSchemas(PROBLEM, problemSchema());
      if (openApi.getPaths() != null) {
        openApi.getPaths().forEach(OpenApiDocument::describeProblems);
      }
    };
  }

  private static Schema<?> problemSchema() {
    Schema<?> problem =
        new ObjectSchema()
            .description(
                "An RFC 9457 problem. On /v2 and /v1 it also carries the inference protocols'"
                    + " own `error` member.")
            .addProperty(
                "type",
                new StringSchema()
                    .format("uri")
                    .description("What went wrong, as " + TYPE_BASE + "<slug>"))
            .addProperty("title", new StringSchema().description("A short summary of the type"))
            .addProperty("status", new IntegerSchema().description("The HTTP status"))
            .addProperty("detail", new StringSchema().description("What to fix"))
            .addProperty("instance", new StringSchema().format("uri-reference"))
            .addProperty(
                "error",
                new StringSchema()
                    .description(
                        "The detail again, as KServe's, Triton's and TF Serving's clients read"
                            + " it (inference paths only)"))
            .addProperty(
                "reference",
                new StringSchema().description("For a server-side failure: the reference to quote"))
            .addProperty(
                "servedVersions",
                new io.swagger.v3.oas.models.media.ArraySchema()
                    .items(new IntegerSchema())
                    .description("For model-not-served: the versions this node does serve"))
            .addProperty(
                "retryAfterSeconds", new IntegerSchema().description("For 503s: when to retry"))
            .addProperty(
                "limitBytes",
                new IntegerSchema().format("int64").description("For 413s: the size limit"))
            .addProperty(
                "sizeBytes",
                new IntegerSchema()
                    .format("int64")
                    .description("For range-not-satisfiable: the artifact's size"));
    problem.setRequired(List.of("type", "title", "status"));
    return problem;
  }

  private static void describeProblems(String path, PathItem item) {
    item.readOperationsMap()
        .forEach((method, operation) -> describeProblems(method.name(), path, operation));
  }

  private static void describeProblems(String method, String path, Operation operation) {
    Map<Integer, Set<String>> problems = new TreeMap<>();
    boolean secured = operation.getSecurity() == null || !operation.getSecurity().isEmpty();
    if (secured) {
      problems.computeIfAbsent(401, s -> new LinkedHashSet<>()).add("unauthenticated");
      problems.get(401).add("invalid-credentials");
      problems.computeIfAbsent(403, s -> new LinkedHashSet<>()).add("forbidden");
      problems.computeIfAbsent(429, s -> new LinkedHashSet<>()).add("too-many-failures");
    }
    for (Rule rule : RULES) {
      if (rule.applies(method, path)) {
        problems.computeIfAbsent(rule.status(), s -> new LinkedHashSet<>()).addAll(rule.types());
      }
    }
    ApiResponses responses = operation.getResponses();
    if (responses == null) {
      responses = new ApiResponses();
      operation.setResponses(responses);
    }
    // What an operation makes or queues, it says where to read: 201 and 202 carry Location.
    for (String made : List.of("201", "202")) {
      ApiResponse response = responses.get(made);
      if (response != null && (response.getHeaders() == null || response.getHeaders().isEmpty())) {
        response.addHeaderObject(
            "Location",
            new io.swagger.v3.oas.models.headers.Header()
                .description("Where the new resource (or the queued job) is read")
                .schema(new StringSchema().format("uri-reference")));
      }
    }
    for (Map.Entry<Integer, Set<String>> problem : problems.entrySet()) {
      String code = Integer.toString(problem.getKey());
      StringBuilder description = new StringBuilder(REASONS.get(problem.getKey()));
      description.append(". `type`: ");
      List<String> types = new ArrayList<>();
      problem.getValue().forEach(t -> types.add("`" + t + "`"));
      description.append(String.join(", ", types)).append('.');
      responses.addApiResponse(
          code,
          new ApiResponse()
              .description(description.toString())
              .content(
                  new Content()
                      .addMediaType(
                          "application/problem+json",
                          new MediaType()
                              .schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM)))));
    }
  }
}
