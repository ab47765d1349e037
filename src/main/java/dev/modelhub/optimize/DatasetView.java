package dev.modelhub.optimize;

import java.time.Instant;

/**
 * A dataset variants of a model are evaluated on.
 *
 * @param id dataset id (usable in {@code params.dataset})
 * @param model the model's name
 * @param name its name (usable in {@code params.dataset})
 * @param digest {@code sha256:<hex>} of the CSV
 * @param sizeBytes CSV size
 * @param rows number of samples
 * @param columns number of input columns
 * @param hasLabels whether it has a {@code label} column (needed for accuracy)
 * @param createdAt when it was uploaded
 * @param createdBy who uploaded it
 */
public record DatasetView(
    long id,
    String model,
    String name,
    String digest,
    long sizeBytes,
    int rows,
    int columns,
    boolean hasLabels,
    Instant createdAt,
    String createdBy) {}
