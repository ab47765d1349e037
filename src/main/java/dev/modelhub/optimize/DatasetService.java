package dev.modelhub.optimize;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.StagedArtifact;
import dev.modelhub.common.ConflictException;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.NotFoundException;
import dev.modelhub.optimize.internal.Dataset;
import dev.modelhub.optimize.internal.DatasetReader;
import dev.modelhub.optimize.internal.DatasetStore;
import dev.modelhub.registry.ModelDeleted;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.security.AuditEntry;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.Caller;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Datasets of a model: CSV or .npz files stored as blobs, read and checked when uploaded against
 * the model's newest version (one that does not fit its inputs is refused with 422).
 */
@Service
public class DatasetService {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  private final RegistryService registry;
  private final ArtifactStore store;
  private final DatasetStore datasets;
  private final DatasetReader reader;
  private final JobProperties properties;
  private final AuditLog audit;
  private final TransactionTemplate transactions;

  public DatasetService(
      RegistryService registry,
      ArtifactStore store,
      DatasetStore datasets,
      DatasetReader reader,
      JobProperties properties,
      AuditLog audit,
      TransactionTemplate transactions) {
    this.registry = registry;
    this.store = store;
    this.datasets = datasets;
    this.reader = reader;
    this.properties = properties;
    this.audit = audit;
    this.transactions = transactions;
  }

  /** Stores a dataset file (CSV or .npz) once it has been read and fits the model. */
  public DatasetView upload(String model, String name, InputStream file, Caller caller) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidRequestException(
          "Dataset name '" + name + "' must be 1-63 characters of a-z, 0-9, '.', '_' or '-'.");
    }
    long modelId = modelId(model);
    StagedArtifact staged = store.stage(file, properties.maxDatasetSize().toBytes());
    try {
      Dataset parsed = reader.read(staged.spoolFile());
      registry
          .latestVersion(model)
          .ifPresent(
              latest -> Dataset.checkFits(parsed.format(), parsed.inputs(), latest.signature()));
      String digest = store.promote(staged).toString();
      // The row and its audit event commit together, after the blob is stored.
      return transactions.execute(
          status -> {
            long id =
                datasets
                    .insert(
                        new DatasetStore.NewDataset(
                            modelId, name, digest, staged.sizeBytes(), parsed, caller.name()))
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
                    .withDetail(
                        name
                            + " ("
                            + parsed.format().id()
                            + ", "
                            + parsed.rows()
                            + " rows, "
                            + digest
                            + ")"));
            return datasets.find(modelId, model, id).orElseThrow();
          });
    } finally {
      store.release(staged);
    }
  }

  /** A deleted model's datasets go with it, in the deleting transaction. */
  @EventListener
  void on(ModelDeleted deleted) {
    datasets.deleteAll(deleted.modelId());
  }

  public List<DatasetView> list(String model) {
    return datasets.list(modelId(model), model);
  }

  /** A model's dataset by name or id. */
  public Optional<DatasetView> find(String model, Object reference) {
    return registry.modelId(model).flatMap(id -> datasets.find(id, model, reference));
  }

  private long modelId(String model) {
    return registry
        .modelId(model)
        .orElseThrow(
            () ->
                new NotFoundException(
                    "model-not-found", "Model not found", "No model is named '" + model + "'."));
  }
}
