package dev.modelhub.registry;

import tools.jackson.databind.JsonNode;

/**
 * How a variant was derived from its parent.
 *
 * @param parentVersion the version it was made from
 * @param jobId the job that made it; a job registers at most one variant
 * @param lineage the pass and its parameters
 * @param report measurements against the parent
 */
public record Derivation(int parentVersion, long jobId, JsonNode lineage, JsonNode report) {}
