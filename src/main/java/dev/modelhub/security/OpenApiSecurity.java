package dev.modelhub.security;

import dev.modelhub.security.internal.AccessInterceptor;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.util.List;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * How the OpenAPI document describes access: one bearer scheme (an API key, or a JWT when one is
 * configured) that Swagger UI's Authorize button fills in, and the role each operation needs.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiSecurity {

  static final String SCHEME = "bearer";

  static {
    // The caller is resolved from the credentials, not sent as a parameter.
    SpringDocUtils.getConfig().addRequestWrapperToIgnore(Caller.class);
  }

  @Bean
  OpenAPI modelhubOpenApi() {
    return new OpenAPI()
        .components(
            new Components()
                .addSecuritySchemes(
                    SCHEME,
                    new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP)
                        .scheme("bearer")
                        .description(
                            "An API key (Authorization: Bearer mh_…), or a JWT from the"
                                + " organisation's identity provider when one is configured.")))
        .security(List.of(new SecurityRequirement().addList(SCHEME)));
  }

  @Bean
  OperationCustomizer accessRuleInDescription(AccessProperties properties) {
    return (operation, handler) -> {
      if (AccessInterceptor.rule(handler, Public.class) != null) {
        operation.setSecurity(List.of());
        operation.addExtension("x-modelhub-role", "none");
        return operation.description(join(operation.getDescription(), "No key needed."));
      }
      Allow allow = AccessInterceptor.rule(handler, Allow.class);
      if (allow == null) {
        return operation;
      }
      // For tools: the role as a value, next to the sentence for people.
      operation.addExtension("x-modelhub-role", allow.value().id());
      String rule =
          "Needs the **"
              + allow.value().id()
              + "** role"
              + (allow.scoped() ? "" : " with a key not limited to models")
              + (allow.inference() && properties.openInference()
                  ? " (open to anyone: modelhub.security.open-inference is on)"
                  : "")
              + ".";
      return operation.description(join(operation.getDescription(), rule));
    };
  }

  private static String join(String description, String rule) {
    return description == null || description.isBlank() ? rule : description + "\n\n" + rule;
  }
}
