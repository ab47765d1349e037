package dev.modelhub.optimize;

import dev.modelhub.common.ConflictException;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.NotFoundException;
import dev.modelhub.common.PageView;
import dev.modelhub.common.UnprocessableException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.optimize.internal.Dataset;
import dev.modelhub.optimize.internal.Distillation;
import dev.modelhub.optimize.internal.EvaluationData;
import dev.modelhub.optimize.internal.JobStore;
import dev.modelhub.optimize.internal.JobWorker;
import dev.modelhub.optimize.internal.PassType;
import dev.modelhub.optimize.internal.Passes;
import dev.modelhub.registry.ModelDeleted;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.registry.VersionRef;
import dev.modelhub.registry.VersionStatus;
import dev.modelhub.security.AuditEntry;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.Caller;
import dev.modelhub.security.ModelOutOfScope;
import dev.modelhub.security.ModelScope;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.JsonNode;

/**
 * Submits, reads and cancels optimization jobs. Everything knowable at submit time is checked here:
 * the version exists and is ONNX, the pass exists, its parameters are in range, the dataset exists,
 * fits the model and has labels when accuracy is asked for.
 */
@Service
public class OptimizationService {

  private final RegistryService registry;
  private final JobStore jobs;
  private final DatasetService datasets;
  private final Passes passes;
  private final JobProperties properties;
  private final AuditLog audit;
  private final ObjectProvider<JobWorker> worker;

  public OptimizationService(
      RegistryService registry,
      JobStore jobs,
      DatasetService datasets,
      Passes passes,
      JobProperties properties,
      AuditLog audit,
      ObjectProvider<JobWorker> worker) {
    this.audit = audit;
    this.registry = registry;
    this.jobs = jobs;
    this.datasets = datasets;
    this.passes = passes;
    this.properties = properties;
    this.worker = worker;
  }

  /**
   * This node's worker, or null when it runs none.
   *
   * @param id the worker's name
   * @param running jobs it runs now
   * @param pollFailures polls that failed in a row
   */
  public record WorkerStatus(String id, int running, int pollFailures) {}

  public WorkerStatus workerStatus() {
    var w = worker.getIfAvailable();
    return w == null ? null : new WorkerStatus(w.id(), w.runningJobs(), w.pollFailures());
  }

  /** Queues a job; it and its audit event commit together. */
  @Transactional
  public JobView submit(
      String model, int version, String passName, JsonNode rawParams, Caller caller) {
    VersionRef parent =
        registry
            .version(model, version)
            .orElseThrow(
                () ->
                    new NotFoundException(
                        "version-not-found",
                        "Version not found",
                        "Model '" + model + "' has no version " + version + "."));
    if (passName == null || passName.isBlank()) {
      throw new InvalidRequestException("'pass' is required; one of " + passes.names() + ".");
    }
    PassType<?> pass =
        passes
            .find(passName)
            .orElseThrow(
                () ->
                    new InvalidRequestException(
                        "unknown-pass",
                        "Unknown pass",
                        "No pass is named '" + passName + "'; passes are " + passes.names() + "."));
    PassParameters params = passes.read(pass, rawParams);
    if (parent.status() == VersionStatus.ARCHIVED) {
      throw new ConflictException(
          "version-archived",
          "Version archived",
          "Version " + version + " of '" + model + "' is archived; optimize a READY version.");
    }
    if (pass instanceof Distillation) {
      params = checkDistill(model, parent, (PassParameters.Distill) params);
    } else if (parent.format() != ModelFormat.ONNX) {
      throw new UnprocessableException(
          "pass-not-applicable",
          "Pass not applicable",
          passName
              + " works on ONNX models; version "
              + version
              + " is "
              + parent.format().id()
              + ".");
    } else {
      checkEvaluationData(model, parent, params);
    }
    long id =
        jobs.insert(model, version, passName, params, properties.maxAttempts(), caller.name());
    audit.record(
        caller,
        AuditEntry.of("job.submit")
            .withModel(model)
            .withVersion(version)
            .withJob(id)
            .withDetail(passName + " " + passes.json(params)));
    return find(id);
  }

  /**
   * Everything about a distillation knowable before it runs: the teacher's signature takes one FP32
   * input and answers FP32 class scores, the datasets exist and fit it, the student fits it and is
   * smaller than the teacher. Answers the parameters with the student resolved and both parameter
   * counts filled in. Every refusal is a 400 saying what to change.
   */
  private PassParameters.Distill checkDistill(
      String model, VersionRef teacher, PassParameters.Distill params) {
    ModelSignature signature = teacher.signature();
    if (signature.inputs().size() != 1
        || signature.inputs().get(0).datatype() != Datatype.FP32
        || signature.outputs().isEmpty()
        || signature.outputs().get(0).datatype() != Datatype.FP32) {
      throw invalidDistill(
          "a teacher needs one FP32 input and FP32 class scores as its first output; version "
              + teacher.version()
              + " takes "
              + describe(signature.inputs())
              + " and answers "
              + describe(signature.outputs()));
    }
    try {
      checkSignatureSizes(signature.inputs().get(0), signature.outputs().get(0));
    } catch (ArithmeticException e) {
      throw invalidDistill("the teacher's signature is too large to count: " + e.getMessage());
    }
    if (params.dataset() == null) {
      throw invalidDistill(
          "'dataset' is required: the transfer set the student learns from (a CSV or .npz"
              + " dataset of '"
              + model
              + "', labels optional)");
    }
    DatasetView transfer = distillDataset(model, "dataset", params.dataset(), signature);
    if (transfer.rows() < 2) {
      throw invalidDistill(
          "dataset '"
              + transfer.name()
              + "' has "
              + transfer.rows()
              + " row; a transfer set needs at least 2 (one held out, the rest trained on)");
    }
    DatasetView evaluation =
        params.evaluationDataset() == null
            ? transfer
            : distillDataset(model, "evaluationDataset", params.evaluationDataset(), signature);
    if (params.maxAccuracyDrop() != null && !evaluation.hasLabels()) {
      throw invalidDistill(
          "maxAccuracyDrop needs labels; dataset '" + evaluation.name() + "' has none");
    }
    TensorSpec input = signature.inputs().get(0);
    TensorSpec output = signature.outputs().get(0);
    long teacherCount =
        teacher.parameterCount() != null && teacher.parameterCount() > 0
            ? teacher.parameterCount()
            : teacher.sizeBytes() / Float.BYTES;
    try {
      PassParameters.Student student =
          params.student().type() == StudentType.AUTO
              ? Distillation.resolveAuto(params.student(), input, output, teacherCount)
              : params.student();
      long studentCount = Distillation.parameterCount(student, input, output);
      if (studentCount >= teacherCount) {
        throw invalidDistill(
            "the student has "
                + studentCount
                + " parameters, not fewer than the teacher's "
                + teacherCount
                + (teacher.parameterCount() == null
                    ? " (the registry has no parameter count for this "
                        + teacher.format().id()
                        + " model: its size in float32 values stands in)"
                    : "")
                + "; give it fewer or narrower layers");
      }
      checkSizes(transfer, input, output, params.augment(), studentCount);
      return params.resolved(student, studentCount, teacherCount);
    } catch (IllegalArgumentException e) {
      throw invalidDistill(e.getMessage());
    } catch (ArithmeticException e) {
      throw invalidDistill("the student or the signature is too large to count: " + e.getMessage());
    }
  }

  /** Most values one sample of the teacher's input may hold. */
  static final long MAX_SAMPLE_VALUES = 1L << 24;

  /** Most class scores a teacher's first output may hold per sample. */
  static final long MAX_CLASSES = 1L << 20;

  /** Largest fixed batch dimension a teacher may declare (it is called with that many rows). */
  static final long MAX_FIXED_BATCH = 4096;

  /**
   * Most values the worker holds for a distillation: every transfer sample (augmented copies
   * included) with its class scores. The worker keeps them in memory and hands the training process
   * a copy.
   */
  static final long MAX_TRANSFER_VALUES = 1L << 27;

  /** Refuses a teacher whose samples or scores are too large for a student to take. */
  private static void checkSignatureSizes(TensorSpec input, TensorSpec output) {
    for (TensorSpec tensor : java.util.List.of(input, output)) {
      if (tensor.shape() == null || tensor.shape().size() < 2) {
        throw invalidDistill(
            "the teacher's '"
                + tensor.name()
                + "' has shape "
                + tensor.shape()
                + "; a student needs a batch dimension and known dimensions after it");
      }
    }
    long perSample = product(input.shape());
    long classes = product(output.shape());
    if (perSample > MAX_SAMPLE_VALUES) {
      throw invalidDistill(
          "the teacher's input holds "
              + perSample
              + " values per sample; a student takes at most "
              + MAX_SAMPLE_VALUES);
    }
    if (classes > MAX_CLASSES) {
      throw invalidDistill(
          "the teacher's output holds "
              + classes
              + " scores per sample; a student answers at most "
              + MAX_CLASSES);
    }
    long batch = input.shape().get(0);
    if (batch > MAX_FIXED_BATCH) {
      throw invalidDistill(
          "the teacher's input has a fixed batch of "
              + batch
              + "; a teacher is called with at most "
              + MAX_FIXED_BATCH
              + " samples at a time");
    }
  }

  /**
   * Bounds what a distillation holds, before it is queued: the transfer set with its copies and
   * scores on the worker, and the student on the training process's heap (its weights, Adam's two
   * moments and the best weights: 16 bytes a parameter, within half of {@code
   * modelhub.jobs.pass-heap}).
   */
  private void checkSizes(
      DatasetView transfer,
      TensorSpec input,
      TensorSpec output,
      PassParameters.Augmentation augment,
      long studentCount) {
    long copies = augment == null ? 1 : augment.copies() + 1L;
    long values =
        Math.multiplyExact(
            Math.multiplyExact((long) transfer.rows(), copies),
            product(input.shape()) + product(output.shape()));
    if (values > MAX_TRANSFER_VALUES) {
      throw invalidDistill(
          "the transfer set"
              + (augment == null ? "" : " with " + augment.copies() + " augmented copies")
              + " and its teacher scores come to "
              + values
              + " values; at most "
              + MAX_TRANSFER_VALUES
              + " are held for training: use fewer rows"
              + (augment == null ? "" : " or fewer copies"));
    }
    long heapBytes = Math.multiplyExact(studentCount, 16L);
    if (heapBytes > properties.passHeap().toBytes() / 2) {
      throw invalidDistill(
          "a student of "
              + studentCount
              + " parameters needs about "
              + (heapBytes >> 20)
              + " MiB for its weights, Adam's moments and best weights, more than half of the "
              + (properties.passHeap().toBytes() >> 20)
              + " MiB modelhub.jobs.pass-heap; give it fewer parameters or raise that setting");
    }
  }

  /** The values one sample holds: the dimensions after the batch, multiplied. */
  private static long product(java.util.List<Long> shape) {
    long n = 1;
    for (int i = 1; i < shape.size(); i++) {
      n = Math.multiplyExact(n, Math.max(1, shape.get(i)));
    }
    return n;
  }

  private DatasetView distillDataset(
      String model, String field, String reference, ModelSignature signature) {
    DatasetView dataset =
        datasets
            .find(model, reference)
            .orElseThrow(
                () ->
                    invalidDistill(
                        "'"
                            + field
                            + "': model '"
                            + model
                            + "' has no dataset '"
                            + reference
                            + "'; its datasets are "
                            + datasets.list(model).stream().map(DatasetView::name).toList()));
    try {
      Dataset.checkFits(dataset.format(), dataset.inputs(), signature);
    } catch (UnprocessableException e) {
      throw invalidDistill("'" + field + "' does not fit the teacher: " + e.getMessage());
    }
    return dataset;
  }

  private static String describe(java.util.List<TensorSpec> tensors) {
    return tensors.stream().map(t -> t.name() + " " + t.datatype() + t.shape()).toList().toString();
  }

  private static InvalidRequestException invalidDistill(String why) {
    return new InvalidRequestException(
        "invalid-pass-params",
        "Invalid pass parameters",
        "distill: " + why + (why.endsWith(".") ? "" : "."));
  }

  private void checkEvaluationData(String model, VersionRef parent, PassParameters params) {
    String reference = params.dataset();
    if (reference == null) {
      if (params.maxAccuracyDrop() != null) {
        throw new UnprocessableException(
            "dataset-required",
            "Dataset required",
            "maxAccuracyDrop needs a labelled dataset: set params.dataset.");
      }
      try {
        EvaluationData.generated(parent.signature(), 1, 0);
      } catch (IllegalArgumentException e) {
        throw new UnprocessableException(
            "dataset-required",
            "Dataset required",
            "Inputs cannot be generated for this model ("
                + e.getMessage()
                + "); set params.dataset.");
      }
      return;
    }
    DatasetView dataset =
        datasets
            .find(model, reference)
            .orElseThrow(
                () ->
                    new UnprocessableException(
                        "dataset-not-found",
                        "Unknown dataset",
                        "Model '"
                            + model
                            + "' has no dataset '"
                            + reference
                            + "'; its datasets are "
                            + datasets.list(model).stream().map(DatasetView::name).toList()
                            + "."));
    if (params.maxAccuracyDrop() != null && !dataset.hasLabels()) {
      throw new UnprocessableException(
          "dataset-unlabelled",
          "Dataset has no labels",
          "maxAccuracyDrop needs labels; dataset '"
              + dataset.name()
              + "' has no 'label' column or array.");
    }
    Dataset.checkFits(dataset.format(), dataset.inputs(), parent.signature());
  }

  /** A deleted model's unfinished jobs are cancelled, in the deleting transaction. */
  @EventListener
  void on(ModelDeleted deleted) {
    jobs.cancelAll(deleted.model());
  }

  /** A job, if the caller may see its model (403 otherwise). */
  public JobView get(long id, Caller caller) {
    JobView job = find(id);
    if (!caller.mayAccess(job.model())) {
      throw new ModelOutOfScope(caller);
    }
    return job;
  }

  private JobView find(long id) {
    return jobs.find(id)
        .orElseThrow(
            () ->
                new NotFoundException(
                    "job-not-found", "Job not found", "No job has id " + id + "."));
  }

  /** Jobs waiting for a worker, on every model. */
  public long queued() {
    return jobs.count(null, JobStatus.QUEUED, null, ModelScope.ALL.regex());
  }

  /** Each pass's parameters with their defaults filled in, as JSON text, by pass name. */
  public Map<String, String> passDefaults() {
    Map<String, String> defaults = new TreeMap<>();
    for (String name : passes.names()) {
      // distill has one required parameter, its student: the defaults show the default MLP.
      JsonNode given =
          Distillation.NAME.equals(name)
              ? tools.jackson.databind.json.JsonMapper.builder()
                  .build()
                  .readTree("{\"student\": {\"type\": \"mlp\"}}")
              : null;
      defaults.put(name, passes.json(passes.read(passes.find(name).orElseThrow(), given)));
    }
    return defaults;
  }

  /** Jobs of the models in {@code scope}, newest first; null filters do not filter. */
  public PageView<JobView> list(
      String model, JobStatus status, String pass, ModelScope scope, int page, int size) {
    return PageView.of(
        jobs.list(model, status, pass, scope.regex(), page, size),
        page,
        size,
        jobs.count(model, status, pass, scope.regex()));
  }

  /** Cancels a queued job now, a running one at its next checkpoint; a finished job is a 409. */
  @Transactional
  public JobView cancel(long id, Caller caller) {
    JobView job = get(id, caller);
    if (job.status().finished()) {
      throw new ConflictException(
          "job-finished",
          "Job finished",
          "Job " + id + " is " + job.status() + "; only queued or running jobs can be cancelled.");
    }
    jobs.cancel(id);
    audit.record(
        caller,
        AuditEntry.of("job.cancel")
            .withModel(job.model())
            .withVersion(job.version())
            .withJob(id)
            .withDetail("was " + job.status()));
    return find(id);
  }
}
