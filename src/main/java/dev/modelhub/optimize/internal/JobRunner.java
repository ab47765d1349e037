package dev.modelhub.optimize.internal;

import dev.modelhub.artifact.ArchiveType;
import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.Digest;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.artifact.StorageProperties;
import dev.modelhub.common.DiskSpace;
import dev.modelhub.common.FileTrees;
import dev.modelhub.common.SandboxedJvm;
import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.ModelInspector;
import dev.modelhub.optimize.DatasetService;
import dev.modelhub.optimize.DatasetView;
import dev.modelhub.optimize.JobProperties;
import dev.modelhub.optimize.JobView;
import dev.modelhub.optimize.OptimizationReport;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import dev.modelhub.registry.Derivation;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.registry.VersionRef;
import dev.modelhub.registry.VersionView;
import dev.modelhub.serving.ModelRunner;
import dev.modelhub.serving.ServingProperties;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * Runs one optimization job: fetches the parent (verifying its digest), applies the pass (or, with
 * {@code maxAccuracyDrop}, searches for the least conservative setting within tolerance), evaluates
 * the variant against the parent, and registers it with its lineage and report.
 */
@Component
public class JobRunner {

  private final RegistryService registry;
  private final ArtifactStore store;
  private final SafeUnpacker unpacker;
  private final ModelInspector inspector;
  private final DatasetService datasets;
  private final DatasetReader reader;
  private final JobStore jobs;
  private final Passes passes;
  private final JobProperties properties;
  private final ObjectMapper json;
  private final StorageProperties storage;
  private final JobSandbox sandbox;
  private final ModelRunner models;
  private final ServingProperties serving;
  private final Distiller distiller;

  /**
   * Evaluation processes: ONNX Runtime's settings only; under bubblewrap no network, and of the
   * spool only the job's own files.
   */
  private static SandboxedJvm evaluations(Path spool) {
    return new SandboxedJvm(
        new SandboxedJvm.Settings(
            1024,
            true,
            List.of(),
            List.of(spool),
            Map.of(
                "PATH", "/usr/local/bin:/usr/bin:/bin",
                "LANG", "C.UTF-8",
                "ORT_DISABLE_TELEMETRY", "1",
                "OMP_NUM_THREADS", "1",
                "MALLOC_ARENA_MAX", "2")));
  }

  /**
   * Distillation training: PyTorch's settings; under bubblewrap no network, of the spool only the
   * job's own files, the serving artifact cache hidden, and writable only its own engine folder
   * (PyTorch extracts its natives there once) — not the engine cache engine hosts load from.
   */
  private static SandboxedJvm training(Path spool, ServingProperties serving) {
    return new SandboxedJvm(
        new SandboxedJvm.Settings(
            1024,
            true,
            List.of(trainingEngines(serving)),
            List.of(spool, serving.cache().dir()),
            Map.of(
                "PATH", "/usr/local/bin:/usr/bin:/bin",
                "LANG", "C.UTF-8",
                "ORT_DISABLE_TELEMETRY", "1",
                "OMP_NUM_THREADS", "2",
                "MALLOC_ARENA_MAX", "2")));
  }

  private final Path workDir;

  public JobRunner(
      RegistryService registry,
      ArtifactStore store,
      SafeUnpacker unpacker,
      ModelInspector inspector,
      DatasetService datasets,
      DatasetReader reader,
      JobStore jobs,
      Passes passes,
      JobProperties properties,
      ObjectMapper json,
      StorageProperties storage,
      ModelRunner models,
      ServingProperties serving) {
    this.registry = registry;
    this.store = store;
    this.unpacker = unpacker;
    this.inspector = inspector;
    this.datasets = datasets;
    this.reader = reader;
    this.jobs = jobs;
    this.passes = passes;
    this.properties = properties;
    this.json = json;
    this.storage = storage;
    this.workDir = storage.spoolDir().toAbsolutePath().normalize().resolve("jobs");
    this.models = models;
    this.serving = serving;
    this.sandbox =
        properties.isolatedEvaluation()
            ? new JobSandbox(
                evaluations(storage.spoolDir()),
                training(storage.spoolDir(), serving),
                properties.passHeap().toMegabytes(),
                json)
            : null;
    this.distiller =
        new Distiller(
            store, datasets, reader, jobs, models, sandbox, properties, trainingEngines(serving));
  }

  /** Where distillation training extracts PyTorch: beside the engine cache, its own. */
  static Path trainingEngines(ServingProperties serving) {
    Path engines = serving.engineCacheDir().toAbsolutePath().normalize();
    return engines.resolveSibling(engines.getFileName() + "-training");
  }

  /** The same runner with other job settings (latency runs, sample counts). */
  public JobRunner withProperties(JobProperties other) {
    return new JobRunner(
        registry, store, unpacker, inspector, datasets, reader, jobs, passes, other, json, storage,
        models, serving);
  }

  /**
   * Removes the work folders of runs that ended with their process (a crash, a kill): nothing in
   * them can be resumed, and each may hold a model's worth of disk. Called before a worker starts.
   */
  public void sweepWorkFolders() {
    if (!Files.isDirectory(workDir)) {
      return;
    }
    try (var leftovers = Files.list(workDir)) {
      leftovers
          .filter(p -> p.getFileName().toString().startsWith("job-"))
          .filter(JobRunner::abandoned)
          .forEach(FileTrees::deleteQuietly);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + workDir, e);
    }
  }

  /** Whether no running job holds the folder's lock (its process ended, or never took one). */
  private static boolean abandoned(Path folder) {
    Path lockPath = folder.resolve(".lock");
    if (!Files.exists(lockPath)) {
      return true;
    }
    try (FileChannel channel = FileChannel.open(lockPath, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock()) {
      return lock != null;
    } catch (OverlappingFileLockException e) {
      return false; // held by a job of this very process
    } catch (IOException e) {
      return false;
    }
  }

  /** What a successful run produced. */
  public record Result(int version, OptimizationReport report) {}

  /** How a variant was derived, as its lineage records it. */
  record Lineage(String pass, PassParameters params) {}

  public Result run(JobContext context) throws Exception {
    JobView job = context.job();
    VersionRef parent =
        registry
            .version(job.model(), job.version())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "version " + job.version() + " of '" + job.model() + "' no longer exists"));
    PassType<?> type = passes.find(job.pass()).orElseThrow();
    Files.createDirectories(workDir);
    Path work = Files.createTempDirectory(workDir, "job-" + job.id() + "-");
    // Held while the run lasts: the sweep of another process sharing this folder leaves it be.
    FileChannel lockFile =
        FileChannel.open(
            work.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = lockFile.lock();
    try {
      if (!(type instanceof Pass<?> pass)) {
        return distill(context, parent, work);
      }
      step(context, 5, "downloading v" + parent.version());
      Path parentFile = fetch(parent, work.resolve("parent"));
      EvaluationData data = evaluationData(job, parent, work);
      step(context, 20, "running " + pass.name());
      Trial chosen = choose(pass, job.params(), parentFile, data, work, context, parent);
      OptimizationReport report =
          report(pass, parent, work.resolve("parent"), chosen, data, List.of());
      step(context, 90, "registering the variant");
      Path artifact = packaged(chosen.file());
      VersionView variant =
          registry.registerVariant(
              job.model(),
              artifact,
              "v"
                  + parent.version()
                  + "-"
                  + pass.name()
                  + (artifact.toString().endsWith(".tar.gz") ? ".tar.gz" : ".onnx"),
              new Derivation(
                  parent.version(),
                  job.id(),
                  json.valueToTree(new Lineage(pass.name(), chosen.params())),
                  json.valueToTree(report)),
              job.createdBy());
      jobs.log(job.id(), "registered v" + variant.version());
      return new Result(variant.version(), report);
    } finally {
      lock.release();
      lockFile.close();
      FileTrees.deleteQuietly(work);
    }
  }

  /**
   * A job ended for good without a variant (failed after its last attempt, or past max-duration):
   * what it kept for a later attempt goes (a distillation's checkpoint).
   */
  public void ended(JobView job) {
    if (Distillation.NAME.equals(job.pass())) {
      distiller.forget(job.id());
    }
  }

  /** A distillation: the student trained, evaluated and registered as an ONNX variant. */
  private Result distill(JobContext context, VersionRef teacher, Path work) throws Exception {
    JobView job = context.job();
    Distiller.Produced produced;
    try {
      produced = distiller.run(context, teacher, work);
    } catch (Evaluator.CancelledException | JobContext.Stopped e) {
      if (context.stopReason() == JobContext.Stop.CANCELLED) {
        distiller.forget(job.id());
      }
      throw e;
    } catch (AccuracyNotMet e) {
      distiller.forget(job.id()); // final: the job fails without retries
      throw e;
    }
    step(context, 95, "registering the student");
    VersionView variant =
        registry.registerVariant(
            job.model(),
            produced.model(),
            "v" + teacher.version() + "-distill.onnx",
            new Derivation(
                teacher.version(),
                job.id(),
                json.valueToTree(produced.lineage()),
                json.valueToTree(produced.report())),
            job.createdBy());
    jobs.log(job.id(), "registered v" + variant.version());
    distiller.forget(job.id());
    return new Result(variant.version(), produced.report());
  }

  /**
   * The trial to register: the requested setting, or with {@code maxAccuracyDrop} on a searchable
   * pass the least conservative setting within it.
   *
   * @throws AccuracyNotMet no setting was within tolerance (with every attempt reported)
   */
  private Trial choose(
      Pass<?> pass,
      PassParameters params,
      Path parentFile,
      EvaluationData data,
      Path work,
      JobContext context,
      VersionRef parent)
      throws Exception {
    Double maxDrop = params.maxAccuracyDrop();
    if (maxDrop != null && pass.searchable()) {
      List<OptimizationReport.Attempt> attempts = new ArrayList<>();
      AccuracySearch search =
          new AccuracySearch(this, pass, params, parentFile, data, work, context, maxDrop);
      Trial chosen = search.run(attempts);
      if (chosen == null) {
        throw new AccuracyNotMet(
            "no setting kept the accuracy drop within maxAccuracyDrop "
                + maxDrop
                + " ("
                + attempts.size()
                + " attempts)",
            OptimizationReport.searchFailed(pass.name(), params, evaluatedOn(data), attempts));
      }
      return chosen.withAttempts(attempts);
    }
    Trial trial =
        attempt(pass, params, Set.of(), parentFile, data, work.resolve("attempt-1"), context, true);
    if (maxDrop != null && trial.drop() != null && trial.drop() > maxDrop) {
      throw new AccuracyNotMet(
          "accuracy dropped " + round(trial.drop()) + ", more than maxAccuracyDrop " + maxDrop,
          report(
              pass,
              parent,
              work.resolve("parent"),
              trial,
              data,
              List.of(trial.summary(null, null, false))));
    }
    return trial;
  }

  /** One application of the pass with given settings, written and evaluated. */
  record Trial(
      PassParameters params,
      Set<String> keptFloat,
      Path file,
      PassDetails details,
      Evaluator.Comparison comparison,
      long parameterCount,
      OptimizationReport.Resources resources,
      List<OptimizationReport.Attempt> attempts) {

    Double drop() {
      return comparison.accuracyDrop();
    }

    Trial withAttempts(List<OptimizationReport.Attempt> all) {
      return new Trial(
          params,
          keptFloat,
          file,
          details,
          comparison,
          parameterCount,
          resources,
          List.copyOf(all));
    }

    OptimizationReport.Attempt summary(Integer number, String setting, Boolean within) {
      return new OptimizationReport.Attempt(
          number,
          setting,
          params,
          List.copyOf(keptFloat),
          comparison.variant().accuracy(),
          drop() == null ? null : round(drop()),
          comparison.top1Agreement(),
          within);
    }
  }

  Trial attempt(
      Pass<?> pass,
      PassParameters params,
      Set<String> keepFloat,
      Path parentFile,
      EvaluationData data,
      Path dir,
      JobContext context,
      boolean measureLatency)
      throws Exception {
    context.checkpoint();
    PassDetails details;
    long parameters;
    Path file;
    OptimizationReport.Resources resources;
    if (sandbox != null) {
      JobSandbox.PassResult applied =
          sandbox.apply(
              parentFile, pass.name(), json.valueToTree(params), keepFloat, dir, context::stopping);
      details = json.treeToValue(applied.details(), pass.detailsType());
      parameters = applied.parameters();
      file = dir.resolve("model.onnx");
      resources =
          new OptimizationReport.Resources(
              round(applied.seconds()),
              applied.peakHeapBytes(),
              properties.passHeap().toBytes(),
              applied.peakRssBytes());
    } else {
      long started = System.nanoTime();
      try (OnnxGraph graph = OnnxGraph.read(parentFile, dir)) {
        details = pass.applyFor(graph, params, keepFloat);
        parameters = graph.parameterCount();
        file = graph.write();
      }
      resources =
          new OptimizationReport.Resources(
              round((System.nanoTime() - started) / 1e9), null, null, null);
    }
    context.checkpoint();
    jobs.log(
        context.job().id(),
        pass.name()
            + " "
            + passes.json(params)
            + (keepFloat.isEmpty() ? "" : " keeping " + keepFloat + " in float")
            + ": written, evaluating");
    // What the pass wrote is checked as an upload would be before anything loads it.
    inspector.checkOnnxBeforeLoading(file, dir);
    int latencyRuns = measureLatency ? properties.latencyRuns() : 1;
    Evaluator.Comparison comparison =
        sandbox != null
            ? sandbox.compare(parentFile, file, data, latencyRuns, context::stopping, dir)
            : new Evaluator(latencyRuns).compare(parentFile, file, data, context::stopping);
    context.checkpoint();
    return new Trial(
        params, keepFloat, file, details, comparison, parameters, resources, List.of());
  }

  /** The nodes {@code pass} would change in the parent, in graph order. */
  List<String> candidates(
      Pass<?> pass, PassParameters params, Path parentFile, Path dir, JobContext context)
      throws Exception {
    if (sandbox != null) {
      return sandbox.candidates(
          parentFile, pass.name(), json.valueToTree(params), dir, context::stopping);
    }
    try (OnnxGraph graph = OnnxGraph.read(parentFile)) {
      return pass.candidatesFor(graph, params);
    }
  }

  void log(JobContext context, String line) {
    jobs.log(context.job().id(), line);
  }

  private OptimizationReport report(
      Pass<?> pass,
      VersionRef parent,
      Path parentRoot,
      Trial chosen,
      EvaluationData data,
      List<OptimizationReport.Attempt> failed)
      throws IOException {
    Evaluator.Comparison c = chosen.comparison();
    // Sized from the files, never by parsing the model here: the worker's heap holds no model.
    List<Path> parentFiles = parentFiles(parentRoot);
    List<Path> variantFiles = variantFiles(chosen.file());
    long parentSize = size(parentFiles);
    long variantSize = size(variantFiles);
    return new OptimizationReport(
        pass.name(),
        chosen.params(),
        evaluatedOn(data),
        side(parent.version(), parentSize, parent.parameterCount(), c.parent()),
        side(null, variantSize, chosen.parameterCount(), c.variant()),
        round((double) variantSize / parentSize),
        parent.parameterCount() == null
            ? null
            : round((double) chosen.parameterCount() / parent.parameterCount()),
        round(c.variant().latencyP50Ms() / c.parent().latencyP50Ms()),
        new OptimizationReport.Agreement(
            c.top1Agreement(), c.maxAbsDiff(), c.meanAbsDiff(), c.accuracyDrop()),
        chosen.details(),
        pass.gainShowsCompressed()
            ? new OptimizationReport.Sizes(deflatedSize(parentFiles), deflatedSize(variantFiles))
            : null,
        List.copyOf(chosen.keptFloat()),
        failed.isEmpty() ? chosen.attempts() : failed,
        new OptimizationReport.Evaluation(
            c.samples(), data.size(), c.together() ? "together" : "one at a time"),
        chosen.resources());
  }

  static String evaluatedOn(EvaluationData data) {
    return data.source() + " (" + data.size() + " samples)";
  }

  static OptimizationReport.Side side(
      Integer version, long size, Long parameters, Evaluator.Side side) {
    return new OptimizationReport.Side(
        version,
        size,
        parameters,
        new OptimizationReport.Latency(round(side.latencyP50Ms()), round(side.latencyP95Ms())),
        side.accuracy() == null ? null : round(side.accuracy()));
  }

  private EvaluationData evaluationData(JobView job, VersionRef parent, Path work)
      throws IOException {
    String reference = job.params().dataset();
    if (reference == null) {
      return EvaluationData.generated(parent.signature(), properties.generatedSamples(), job.id());
    }
    DatasetView dataset =
        datasets
            .find(job.model(), reference)
            .orElseThrow(
                () -> new IllegalStateException("dataset '" + reference + "' no longer exists"));
    Path file = work.resolve("dataset");
    store.download(Digest.parse(dataset.digest()), file);
    return reader.read(file).toEvaluationData(parent.signature(), dataset.name());
  }

  /** Downloads the parent, verifying its digest; returns its .onnx file (unpacked if archived). */
  private Path fetch(VersionRef parent, Path dir) throws Exception {
    Files.createDirectories(dir);
    // The download and its unpacked copy: checked before a byte is downloaded.
    DiskSpace.require(
        dir,
        Math.multiplyExact(parent.sizeBytes(), 2),
        "to download and unpack v" + parent.version() + " of " + parent.model());
    Path file = dir.resolve("artifact");
    store.download(Digest.parse(parent.digest()), file);
    if (ArchiveType.detect(file).isEmpty()) {
      Path onnx = dir.resolve("model.onnx");
      Files.move(file, onnx);
      inspector.checkOnnxBeforeLoading(onnx, null);
      requireVariantRoom(dir, parent);
      return onnx;
    }
    Path unpacked = unpacker.unpack(file, dir.resolve("unpacked")).root();
    String modelFile =
        parent.formatDetails() instanceof FormatDetails.Onnx onnx ? onnx.modelFile() : null;
    if (modelFile == null) {
      throw new IllegalStateException("the parent's archive names no model file");
    }
    Path model = unpacked.resolve(modelFile).normalize();
    if (!model.startsWith(unpacked)) {
      throw new IllegalStateException("the parent's model file lies outside its archive");
    }
    inspector.checkOnnxBeforeLoading(model, unpacked);
    Files.deleteIfExists(file);
    requireVariantRoom(dir, parent);
    return model;
  }

  /**
   * The variant (at most the parent's size: every pass keeps or shrinks the tensors) and its
   * packaged copy, or the accuracy search's attempt and its chosen setting: checked before the pass
   * starts, against the unpacked model's real size.
   */
  private static void requireVariantRoom(Path parentRoot, VersionRef parent) throws IOException {
    long bytes = size(parentFiles(parentRoot));
    DiskSpace.require(
        parentRoot,
        Math.multiplyExact(bytes, 2),
        "to write a variant of v" + parent.version() + " of " + parent.model());
  }

  /** A variant with external data goes into a tar.gz holding the .onnx and its data file. */
  private static Path packaged(Path modelFile) throws IOException {
    Path data = modelFile.resolveSibling("model.onnx.data");
    if (!Files.exists(data)) {
      return modelFile;
    }
    Path archive = modelFile.resolveSibling("variant.tar.gz");
    // The fastest deflate level: weights hardly compress, and a multi-GB variant should not take
    // minutes here; pruned zeros still shrink.
    GzipParameters gzip = new GzipParameters();
    gzip.setCompressionLevel(Deflater.BEST_SPEED);
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(
            new GzipCompressorOutputStream(Files.newOutputStream(archive), gzip))) {
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (Path file : List.of(modelFile, data)) {
        TarArchiveEntry entry = new TarArchiveEntry(file.toFile(), file.getFileName().toString());
        tar.putArchiveEntry(entry);
        Files.copy(file, tar);
        tar.closeArchiveEntry();
      }
    }
    return archive;
  }

  /**
   * The parent's files: those of the folder it was fetched into ({@code parent/}: the bare model,
   * or the unpacked archive, whose external data may lie in sub-folders).
   */
  private static List<Path> parentFiles(Path root) throws IOException {
    try (var files = Files.walk(root)) {
      return files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
    }
  }

  /** A variant's files: its model and, when written with external data, its data file. */
  private static List<Path> variantFiles(Path model) {
    Path data = model.resolveSibling(OnnxGraph.DATA_FILE);
    return Files.isRegularFile(data, LinkOption.NOFOLLOW_LINKS)
        ? List.of(model, data)
        : List.of(model);
  }

  private static long size(List<Path> files) throws IOException {
    long size = 0;
    for (Path file : files) {
      size += Files.size(file);
    }
    return size;
  }

  /**
   * The size after standard (deflate) compression of the model and its external data, as a zip of
   * the model would have.
   */
  static long deflatedSize(List<Path> files) throws IOException {
    long[] count = {0};
    OutputStream counter =
        new OutputStream() {
          @Override
          public void write(int b) {
            count[0]++;
          }

          @Override
          public void write(byte[] b, int off, int len) {
            count[0] += len;
          }
        };
    try (DeflaterOutputStream out =
        new DeflaterOutputStream(counter, new Deflater(Deflater.BEST_SPEED))) {
      for (Path file : files) {
        Files.copy(file, out);
      }
    }
    return count[0];
  }

  private static void step(JobContext context, int progress, String message) {
    context.checkpoint();
    context.progress(progress, message);
  }

  static double round(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }
}
