package dev.modelhub.registry;

import java.time.Instant;
import java.util.Map;

/**
 * A model as the API shows it.
 *
 * @param name unique name
 * @param description free text
 * @param tags key/value labels
 * @param aliases alias name → version number
 * @param latestVersion the newest READY version, or null when there is none
 * @param createdAt when it was created
 * @param createdBy who created it
 * @param updatedAt when it, or its version numbering, last changed
 */
public record ModelView(
    String name,
    String description,
    Map<String, String> tags,
    Map<String, Integer> aliases,
    VersionView latestVersion,
    Instant createdAt,
    String createdBy,
    Instant updatedAt) {}
