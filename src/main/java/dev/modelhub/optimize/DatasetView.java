package dev.modelhub.optimize;

import java.time.Instant;
import java.util.List;

/**
 * A dataset variants of a model are evaluated on.
 *
 * @param id dataset id (usable in {@code params.dataset})
 * @param model the model's name
 * @param name its name (usable in {@code params.dataset})
 * @param format csv or npz
 * @param digest {@code sha256:<hex>} of the file
 * @param sizeBytes file size
 * @param rows number of samples
 * @param columns a CSV's number of input columns; an .npz's number of input arrays
 * @param inputs the inputs it feeds, with their types and sample shapes
 * @param hasLabels whether it has labels (a {@code label} column or array), needed for accuracy
 * @param createdAt when it was uploaded
 * @param createdBy who uploaded it
 */
public record DatasetView(
    long id,
    String model,
    String name,
    DatasetFormat format,
    String digest,
    long sizeBytes,
    int rows,
    int columns,
    List<DatasetInput> inputs,
    boolean hasLabels,
    Instant createdAt,
    String createdBy) {}
