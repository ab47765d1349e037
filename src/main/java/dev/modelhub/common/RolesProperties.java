package dev.modelhub.common;

import jakarta.validation.constraints.NotEmpty;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * What this node does ({@code modelhub.roles}); read by {@link NodeRoles}, declared here so that
 * the setting is documented and validated with the others.
 *
 * @param roles this node's roles, comma-separated: {@code api} (REST API, dashboard, uploads),
 *     {@code serving} ({@code /v2} and {@code /v1} inference, the promoted versions kept loaded),
 *     {@code worker} (optimization jobs); a role's endpoints answer 404 on a node without it
 */
@Validated
@ConfigurationProperties("modelhub")
public record RolesProperties(
    @DefaultValue({"api", "serving", "worker"}) @NotEmpty List<NodeRole> roles) {}
