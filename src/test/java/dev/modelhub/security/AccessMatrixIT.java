package dev.modelhub.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.security.internal.AccessInterceptor;
import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestSecrets;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * The role matrix, generated from the application's own request mappings: every Modelhub endpoint
 * (and the Actuator endpoints) is called by every kind of caller, and the answer must be what its
 * rule says — 401 without valid credentials, 403 for a role or model pattern that may not, and
 * neither (nor a 5xx) for one that may. An endpoint without a rule fails the test.
 */
class AccessMatrixIT extends ServingTest {

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  /** One kind of caller: its name in the report, its credential, its role and scope. */
  record Principal(String label, String key, Role role, boolean limited, boolean validKey) {}

  /** One endpoint: method, concrete path, and its rule. */
  record Endpoint(String method, String path, Allow allow, boolean isPublic, boolean onModel) {}

  @Test
  void every_endpoint_answers_every_caller_as_its_rule_says() {
    String model = uniqueName("matrix");
    register(model, OnnxModels.mlp(11, 8, 4).toByteArray(), "m.onnx");
    promote(model, "staging", 1);
    // Readiness answers 503 until the version's engine host is up; the matrix tests access.
    awaitServing(model, "staging", 1);
    long job = optimize(model, 1, "convert-fp16", Map.of());

    List<Principal> principals = principals(model);
    List<Endpoint> endpoints = endpoints(model, job);
    List<String> failures = new ArrayList<>();
    int calls = 0;
    for (Endpoint endpoint : endpoints) {
      for (Principal principal : principals) {
        Response response = call(principal, endpoint);
        calls++;
        String expected = expected(endpoint, principal);
        int status = response.status();
        boolean ok =
            switch (expected) {
              case "401" -> status == 401 && response.header("WWW-Authenticate") != null;
              case "403" -> status == 403;
              default -> status != 401 && status != 403 && status < 500;
            };
        if (!ok || !problemShaped(response)) {
          failures.add(
              endpoint.method()
                  + " "
                  + endpoint.path()
                  + " as "
                  + principal.label()
                  + ": expected "
                  + expected
                  + ", got "
                  + response);
        }
      }
    }
    System.out.printf(
        "AccessMatrixIT: %d endpoints x %d principals = %d calls%n",
        endpoints.size(), principals.size(), calls);
    assertThat(failures).isEmpty();
    assertThat(endpoints.size()).isGreaterThan(35);
  }

  @Test
  void every_modelhub_handler_has_an_access_rule() {
    Set<String> missing = new TreeSet<>();
    mappings
        .getHandlerMethods()
        .forEach(
            (info, handler) -> {
              if (AccessInterceptor.isModelhub(handler)
                  && !(ErrorController.class.isAssignableFrom(handler.getBeanType()))
                  && AccessInterceptor.rule(handler, Allow.class) == null
                  && AccessInterceptor.rule(handler, Public.class) == null) {
                missing.add(info.toString());
              }
            });
    assertThat(missing).as("handlers without @Allow or @Public").isEmpty();
  }

  private String expected(Endpoint endpoint, Principal principal) {
    if (principal.key() != null && !principal.validKey()) {
      return "401"; // unknown, expired or revoked: refused before any rule
    }
    if (endpoint.isPublic()) {
      return "allowed";
    }
    Allow allow = endpoint.allow();
    if (principal.role() == null) {
      return "401";
    }
    if (!principal.role().includes(allow.value())) {
      return "403";
    }
    if (principal.limited()) {
      if (!allow.scoped() || endpoint.onModel()) {
        return "403";
      }
    }
    return "allowed";
  }

  private List<Principal> principals(String model) {
    String expired = expiredKey(uniqueName("expired"), "admin");
    String revoked = revokedKey(uniqueName("revoked"), "admin");
    List<Principal> principals = new ArrayList<>();
    principals.add(new Principal("no key", null, null, false, true));
    principals.add(new Principal("unknown key", "mh_" + "x".repeat(48), null, false, false));
    principals.add(new Principal("expired key", expired, Role.ADMIN, false, false));
    principals.add(new Principal("revoked key", revoked, Role.ADMIN, false, false));
    for (Role role : Role.values()) {
      principals.add(
          new Principal(role.id(), createKey(uniqueName(role.id()), role.id()), role, false, true));
    }
    principals.add(
        new Principal(
            "admin limited to other-*",
            createKey(uniqueName("scoped"), "admin", "other-*"),
            Role.ADMIN,
            true,
            true));
    principals.add(
        new Principal(
            "deployer JWT",
            TestSecrets.jwt(Map.of("sub", "jwt-deployer", "modelhub_role", "deployer"), 600),
            Role.DEPLOYER,
            false,
            true));
    return principals;
  }

  private List<Endpoint> endpoints(String model, long job) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("name", model);
    values.put("version", "1");
    values.put("alias", "production");
    values.put("label", "staging");
    List<Endpoint> endpoints = new ArrayList<>();
    for (Map.Entry<RequestMappingInfo, HandlerMethod> entry :
        mappings.getHandlerMethods().entrySet()) {
      HandlerMethod handler = entry.getValue();
      if (!AccessInterceptor.isModelhub(handler)
          || ErrorController.class.isAssignableFrom(handler.getBeanType())
          || entry.getKey().getPatternValues().stream()
              .allMatch(p -> p.equals("/") || p.startsWith("/ui"))) {
        continue; // the dashboard signs in with a session: DashboardBrowserIT covers its rules
      }
      Allow allow = AccessInterceptor.rule(handler, Allow.class);
      boolean isPublic = AccessInterceptor.rule(handler, Public.class) != null;
      for (String pattern : entry.getKey().getPatternValues()) {
        if (pattern.startsWith("/ui")) {
          continue;
        }
        String path = pattern;
        for (Map.Entry<String, String> value : values.entrySet()) {
          path = path.replace("{" + value.getKey() + "}", value.getValue());
        }
        // Jobs are real (a scoped key is refused on another model's job); keys are not (a
        // revocation here would cut off the principals themselves).
        path = path.replace("/jobs/{id}", "/jobs/" + job).replace("/keys/{id}", "/keys/987654321");
        Set<RequestMethod> methods = entry.getKey().getMethodsCondition().getMethods();
        for (RequestMethod method : methods.isEmpty() ? Set.of(RequestMethod.GET) : methods) {
          boolean onModel = pattern.contains("{name}") || pattern.contains("/jobs/{id}");
          endpoints.add(new Endpoint(method.name(), path, allow, isPublic, onModel));
        }
      }
    }
    Allow viewer = ruleOf(Role.VIEWER);
    Allow admin = ruleOf(Role.ADMIN);
    endpoints.add(new Endpoint("GET", "/actuator/health", null, true, false));
    endpoints.add(new Endpoint("GET", "/actuator/health/liveness", null, true, false));
    endpoints.add(new Endpoint("GET", "/actuator/health/readiness", null, true, false));
    endpoints.add(new Endpoint("GET", "/actuator/prometheus", viewer, false, false));
    endpoints.add(new Endpoint("GET", "/actuator/info", admin, false, false));
    endpoints.add(new Endpoint("GET", "/actuator/metrics", admin, false, false));
    endpoints.sort(
        (a, b) -> (a.method().equals("DELETE") ? 1 : 0) - (b.method().equals("DELETE") ? 1 : 0));
    return endpoints;
  }

  private Response call(Principal principal, Endpoint endpoint) {
    Api client = principal.key() == null ? api.anonymous() : api.as(principal.key());
    return switch (endpoint.method()) {
      case "GET" -> client.get(endpoint.path());
      case "DELETE" -> client.delete(endpoint.path());
      default ->
          client.sendRaw(endpoint.method(), endpoint.path(), "application/json", "{}".getBytes());
    };
  }

  /** Refusals are problems; a refusal that is not would not be shown to a client properly. */
  private static boolean problemShaped(Response response) {
    if (response.status() != 401 && response.status() != 403) {
      return true;
    }
    return String.valueOf(response.header("Content-Type")).startsWith("application/problem+json")
        && response.json().get("type").asString().startsWith("https://modelhub.dev/problems/");
  }

  /** An {@link Allow} for a URL-ruled Actuator endpoint, so the expectations read alike. */
  private static Allow ruleOf(Role role) {
    return new Allow() {
      @Override
      public Class<? extends Annotation> annotationType() {
        return Allow.class;
      }

      @Override
      public Role value() {
        return role;
      }

      @Override
      public boolean inference() {
        return false;
      }

      @Override
      public boolean scoped() {
        return false; // Actuator shows every model: keys limited to some are refused
      }
    };
  }
}
