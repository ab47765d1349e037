package dev.modelhub.optimize;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.StagedArtifact;
import dev.modelhub.common.ConflictException;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.NotFoundException;
import dev.modelhub.optimize.internal.CsvDataset;
import dev.modelhub.optimize.internal.DatasetStore;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.security.AuditEntry;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.Caller;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Datasets of a model: CSV files stored as blobs, checked when uploaded against the model's newest
 * version (a column count that does not fit its input is refused with 422).
 */
public class DatasetService {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  private final RegistryService registry;
  private final ArtifactStore store;
  private final DatasetStore datasets;
  private final JobProperties properties;
  private final AuditLog audit;
  private final TransactionTemplate transactions;

  public DatasetService(
      RegistryService registry,
      ArtifactStore store,
      DatasetStore datasets,
      JobProperties properties,
      AuditLog audit,
      TransactionTemplate transactions) {
    this.registry = registry;
    this.store = store;
    this.datasets = datasets;
    this.properties = properties;
    this.audit = audit;
    this.transactions = transactions;
  }

  public DatasetView upload(String model, String name, InputStream csv, Caller caller) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidRequestException(
          "Dataset name '" + name + "' must be 1-63 characters of a-z, 0-9, '.', '_' or '-'.");
    }
    long modelId =
        registry
            .modelId(model)
            .orElseThrow(
                () ->
                    new NotFoundException(
                        "model-not-found",
                        "Model not found",
                        "No model is named '" + model + "'."));
    StagedArtifact staged = store.stage(csv, properties.maxDatasetSize().toBytes());
    try {
      CsvDataset parsed;
      try (InputStream in = Files.newInputStream(staged.spoolFile())) {
        parsed = CsvDataset.parse(in, properties.maxDatasetRows());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      registry.latestVersion(model).ifPresent(latest -> parsed.checkFits(latest.signature()));
      String digest = store.promote(staged).toString();
      // The row and its audit event commit together, after the blob is stored.
      return transactions.execute(
          status -> {
            long id =
                datasets
                    .insert(
                        modelId,
                        name,
                        digest,
                        staged.sizeBytes(),
                        parsed.rows().length,
                        parsed.columns().size(),
                        parsed.labels() != null,
                        caller.name())
                    .orElseThrow(
                        () ->
                            new ConflictException(
                                "dataset-exists",
                                "Dataset already exists",
                                "Model '"
                                    + model
                                    + "' already has a dataset named '"
                                    + name
                                    + "'."));
            audit.record(
                caller,
                AuditEntry.of("dataset.create")
                    .withModel(model)
                    .withDetail(name + " (" + parsed.rows().length + " rows, " + digest + ")"));
            return datasets.find(model, id).orElseThrow();
          });
    } finally {
      store.release(staged);
    }
  }

  public List<DatasetView> list(String model) {
    if (registry.modelId(model).isEmpty()) {
      throw new NotFoundException(
          "model-not-found", "Model not found", "No model is named '" + model + "'.");
    }
    return datasets.list(model);
  }
}
