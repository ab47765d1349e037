package dev.modelhub.optimize.internal;

import dev.modelhub.artifact.ArchiveType;
import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.Digest;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.common.DiskSpace;
import dev.modelhub.common.FileTrees;
import dev.modelhub.format.ModelInspector;
import dev.modelhub.optimize.DatasetService;
import dev.modelhub.optimize.DatasetView;
import dev.modelhub.optimize.JobProperties;
import dev.modelhub.optimize.JobView;
import dev.modelhub.registry.Derivation;
import dev.modelhub.registry.RegistryService;
import dev.modelhub.registry.VersionRef;
import dev.modelhub.registry.VersionView;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Runs one optimization job: fetches the parent (verifying its digest), applies the pass (or, with
 * {@code maxAccuracyDrop}, searches for the least conservative setting within tolerance), evaluates
 * the variant against the parent, and registers it with its lineage and report.
 */
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
      Path workDir) {
    this.registry = registry;
    this.store = store;
    this.unpacker = unpacker;
    this.inspector = inspector;
    this.datasets = datasets;
    this.reader = reader;
    this.jobs = jobs;
    this.passes = passes;
    this.properties = properties;
    this.workDir = workDir;
  }

  /** The same runner with other job settings (latency runs, sample counts). */
  public JobRunner withProperties(JobProperties other) {
    return new JobRunner(
        registry, store, unpacker, inspector, datasets, reader, jobs, passes, other, workDir);
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
  public record Result(int version, Map<String, Object> report) {}

  public Result run(JobContext context) throws Exception {
    JobView job = context.job();
    VersionRef parent =
        registry
            .version(job.model(), job.version())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "version " + job.version() + " of '" + job.model() + "' no longer exists"));
    Pass pass = passes.find(job.pass()).orElseThrow();
    Files.createDirectories(workDir);
    Path work = Files.createTempDirectory(workDir, "job-" + job.id() + "-");
    // Held while the run lasts: the sweep of another process sharing this folder leaves it be.
    FileChannel lockFile =
        FileChannel.open(
            work.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = lockFile.lock();
    try {
      step(context, 5, "downloading v" + parent.version());
      Path parentFile = fetch(parent, work.resolve("parent"));
      EvaluationData data = evaluationData(job, parent, work);
      step(context, 20, "running " + pass.name());
      Double maxDrop =
          job.params().containsKey("maxAccuracyDrop")
              ? ((Number) job.params().get("maxAccuracyDrop")).doubleValue()
              : null;
      Attempt chosen;
      List<Map<String, Object>> attempts = new ArrayList<>();
      if (maxDrop != null && pass.searchable()) {
        chosen =
            new AccuracySearch(this, pass, parentFile, data, work, context, maxDrop).run(attempts);
      } else {
        chosen =
            attempt(
                pass,
                job.params(),
                Set.of(),
                parentFile,
                data,
                work.resolve("attempt-1"),
                context,
                true);
        if (maxDrop != null && chosen.drop() != null && chosen.drop() > maxDrop) {
          attempts.add(chosen.summary());
          throw new AccuracyNotMet(
              "accuracy dropped " + round(chosen.drop()) + ", more than maxAccuracyDrop " + maxDrop,
              report(job, parent, parentFile, chosen, data, attempts));
        }
      }
      if (chosen == null) {
        throw new AccuracyNotMet(
            "no setting kept the accuracy drop within maxAccuracyDrop "
                + maxDrop
                + " ("
                + attempts.size()
                + " attempts)",
            Map.of(
                "pass",
                pass.name(),
                "params",
                job.params(),
                "attempts",
                attempts,
                "dataset",
                data.source()));
      }
      Map<String, Object> report = report(job, parent, parentFile, chosen, data, attempts);
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
                  Map.of("pass", pass.name(), "params", chosen.params()),
                  report),
              job.createdBy());
      jobs.log(job.id(), "registered v" + variant.version());
      return new Result(variant.version(), report);
    } finally {
      lock.release();
      lockFile.close();
      FileTrees.deleteQuietly(work);
    }
  }

  /** One application of the pass with given settings, written and evaluated. */
  record Attempt(
      Map<String, Object> params,
      Set<String> keptFloat,
      Path file,
      Map<String, Object> details,
      Evaluator.Comparison comparison,
      long parameterCount) {

    Double drop() {
      return comparison.accuracyDrop();
    }

    Map<String, Object> summary() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("params", params);
      m.put("keptInFloat", List.copyOf(keptFloat));
      m.put("accuracy", comparison.variant().accuracy());
      m.put("accuracyDrop", drop() == null ? null : round(drop()));
      m.put("top1Agreement", comparison.top1Agreement());
      return m;
    }
  }

  Attempt attempt(
      Pass pass,
      Map<String, Object> params,
      Set<String> keepFloat,
      Path parentFile,
      EvaluationData data,
      Path dir,
      JobContext context,
      boolean measureLatency)
      throws Exception {
    context.checkpoint();
    OnnxGraph graph = OnnxGraph.read(parentFile);
    Map<String, Object> details = pass.apply(graph, params, keepFloat);
    long parameters = graph.initializers().values().stream().mapToLong(OnnxGraph::elements).sum();
    Path file = graph.write(dir);
    context.checkpoint();
    jobs.log(
        context.job().id(),
        pass.name()
            + " "
            + params
            + (keepFloat.isEmpty() ? "" : " keeping " + keepFloat + " in float")
            + ": written, evaluating");
    Evaluator evaluator = new Evaluator(measureLatency ? properties.latencyRuns() : 1);
    Evaluator.Comparison comparison = evaluator.compare(parentFile, file, data, context::stopping);
    context.checkpoint();
    return new Attempt(params, keepFloat, file, details, comparison, parameters);
  }

  void log(JobContext context, String line) {
    jobs.log(context.job().id(), line);
  }

  private Map<String, Object> report(
      JobView job,
      VersionRef parent,
      Path parentFile,
      Attempt chosen,
      EvaluationData data,
      List<Map<String, Object>> attempts)
      throws IOException {
    Evaluator.Comparison c = chosen.comparison();
    long parentSize = size(parentFile);
    long variantSize = size(chosen.file());
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("pass", job.pass());
    report.put("params", chosen.params());
    report.put("evaluatedOn", data.source() + " (" + data.size() + " samples)");
    report.put("parent", side(parent.version(), parentSize, parent.parameterCount(), c.parent()));
    report.put("variant", side(null, variantSize, chosen.parameterCount(), c.variant()));
    report.put("sizeRatio", round((double) variantSize / parentSize));
    report.put(
        "parameterRatio",
        parent.parameterCount() == null
            ? null
            : round((double) chosen.parameterCount() / parent.parameterCount()));
    report.put("latencyRatio", round(c.variant().latencyP50Ms() / c.parent().latencyP50Ms()));
    report.put("agreement", c.toMap());
    report.put("passDetails", chosen.details());
    if (job.pass().equals("prune-magnitude")) {
      report.put(
          "compressedSizeBytes",
          Map.of("parent", deflatedSize(parentFile), "variant", deflatedSize(chosen.file())));
    }
    if (!chosen.keptFloat().isEmpty()) {
      report.put("keptInFloat", List.copyOf(chosen.keptFloat()));
    }
    if (!attempts.isEmpty()) {
      report.put("attempts", attempts);
    }
    return report;
  }

  private static Map<String, Object> side(
      Integer version, long size, Long parameters, Evaluator.Side side) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (version != null) {
      m.put("version", version);
    }
    m.put("sizeBytes", size);
    m.put("parameterCount", parameters);
    m.put(
        "latencyMs", Map.of("p50", round(side.latencyP50Ms()), "p95", round(side.latencyP95Ms())));
    m.put("accuracy", side.accuracy() == null ? null : round(side.accuracy()));
    return m;
  }

  private EvaluationData evaluationData(JobView job, VersionRef parent, Path work)
      throws IOException {
    Object reference = job.params().get("dataset");
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
    // Parent, its unpacked copy and the variant: check the room before downloading a byte.
    DiskSpace.require(
        dir, Math.multiplyExact(parent.sizeBytes(), 3), "to optimize " + parent.model());
    Path file = dir.resolve("artifact");
    store.download(Digest.parse(parent.digest()), file);
    if (ArchiveType.detect(file).isEmpty()) {
      Path onnx = dir.resolve("model.onnx");
      Files.move(file, onnx);
      inspector.checkOnnxBeforeLoading(onnx, null);
      return onnx;
    }
    Path unpacked = unpacker.unpack(file, dir.resolve("unpacked")).root();
    Path model = unpacked.resolve(parent.formatDetails().get("modelFile").toString()).normalize();
    if (!model.startsWith(unpacked)) {
      throw new IllegalStateException("the parent's model file lies outside its archive");
    }
    inspector.checkOnnxBeforeLoading(model, unpacked);
    return model;
  }

  /** A variant with external data goes into a tar.gz holding the .onnx and its data file. */
  private static Path packaged(Path modelFile) throws IOException {
    Path data = modelFile.resolveSibling("model.onnx.data");
    if (!Files.exists(data)) {
      return modelFile;
    }
    Path archive = modelFile.resolveSibling("variant.tar.gz");
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(
            new GzipCompressorOutputStream(Files.newOutputStream(archive)))) {
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

  private static long size(Path onnx) throws IOException {
    long size = Files.size(onnx);
    Path data = onnx.resolveSibling(onnx.getFileName() + ".data");
    return Files.exists(data) ? size + Files.size(data) : size;
  }

  /** The size after standard (deflate) compression, as a zip of the model would have. */
  static long deflatedSize(Path file) throws IOException {
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
        new DeflaterOutputStream(counter, new Deflater(Deflater.DEFAULT_COMPRESSION))) {
      Files.copy(file, out);
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
