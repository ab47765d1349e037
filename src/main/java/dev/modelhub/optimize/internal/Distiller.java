package dev.modelhub.optimize.internal;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.Digest;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.optimize.DatasetService;
import dev.modelhub.optimize.DatasetView;
import dev.modelhub.optimize.JobProperties;
import dev.modelhub.optimize.JobView;
import dev.modelhub.optimize.OptimizationReport;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import dev.modelhub.registry.VersionRef;
import dev.modelhub.serving.ModelRunner;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@code distill} job on a worker: reads the transfer set, splits off the held-out slice and
 * augments the rest, has the teacher — the version, in its own format's engine host — score every
 * sample once, trains the student (in a {@link DistillHost} process, continuing from the job's last
 * checkpoint when an earlier run left one), then evaluates the ONNX student against the teacher as
 * serving runs them, each in an engine host, called alternately.
 *
 * <p>Each epoch's checkpoint is stored in object storage under the job's name, so that a worker
 * taking over a dead worker's job continues from it; it is removed once the job succeeds or is
 * cancelled.
 */
final class Distiller {

  private static final Logger log = LoggerFactory.getLogger(Distiller.class);
  private static final int TEACHER_BATCH = 64;

  private final ArtifactStore store;
  private final DatasetService datasets;
  private final DatasetReader reader;
  private final JobStore jobs;
  private final ModelRunner models;
  private final JobSandbox sandbox;
  private final JobProperties properties;
  private final Path engineCacheDir;

  Distiller(
      ArtifactStore store,
      DatasetService datasets,
      DatasetReader reader,
      JobStore jobs,
      ModelRunner models,
      JobSandbox sandbox,
      JobProperties properties,
      Path engineCacheDir) {
    this.store = store;
    this.datasets = datasets;
    this.reader = reader;
    this.jobs = jobs;
    this.models = models;
    this.sandbox = sandbox;
    this.properties = properties;
    this.engineCacheDir = engineCacheDir;
  }

  /** What a run produced: the student's file, its report, and what its lineage records. */
  record Produced(Path model, OptimizationReport report, Lineage lineage) {}

  /**
   * How a distilled variant was derived.
   *
   * @param pass {@code distill}
   * @param teacher the teacher version's format and parameter count
   * @param params the student spec and hyper-parameters, seed included
   * @param epochsRun epochs trained
   * @param bestEpoch the epoch exported
   */
  record Lineage(
      String pass, Teacher teacher, PassParameters params, int epochsRun, int bestEpoch) {}

  /** The teacher as the lineage names it. */
  record Teacher(int version, String format, Long parameterCount) {}

  Produced run(JobContext context, VersionRef teacher, Path work) throws Exception {
    JobView job = context.job();
    PassParameters.Distill params = (PassParameters.Distill) job.params();
    ModelSignature signature = teacher.signature();
    TensorSpec input = signature.inputs().get(0);
    TensorSpec output = signature.outputs().get(0);
    step(context, 5, "reading the transfer set '" + params.dataset() + "'");
    EvaluationData transfer = data(job.model(), params.dataset(), signature, work, "transfer");
    int features =
        Math.toIntExact(StudentNetwork.product(StudentNetwork.sampleShape(input, "input")));
    float[] all = floats(transfer);
    int n = transfer.size();
    int held = (int) Math.max(1, Math.round(n * params.heldOut()));
    if (n - held < 1) {
      throw new IllegalStateException(
          "the transfer set has "
              + n
              + " samples: too few to hold out "
              + held
              + " and train on the rest");
    }
    int[] order = DistillTraining.permutation(n, new Random(params.seed()));
    int[] trainRows = Arrays.copyOfRange(order, held, n);
    int[] heldRows = Arrays.copyOfRange(order, 0, held);
    float[] trainX = rows(all, trainRows, features);
    int[] trainY = transfer.labelled() ? labels(transfer.labels(), trainRows) : null;
    int augmented = 0;
    if (params.augment() != null) {
      Augmented more = augment(trainX, trainY, input, params.augment(), params.seed());
      augmented = more.count() - trainRows.length;
      trainX = more.inputs();
      trainY = more.labels();
    }
    float[] heldX = rows(all, heldRows, features);
    int[] heldY = transfer.labelled() ? labels(transfer.labels(), heldRows) : null;
    int trainCount = trainX.length / features;
    int classes =
        Math.toIntExact(StudentNetwork.product(StudentNetwork.sampleShape(output, "output")));
    if (transfer.labelled()) {
      for (int label : transfer.labels()) {
        if (label < 0 || label >= classes) {
          throw new IllegalArgumentException(
              "dataset '"
                  + params.dataset()
                  + "' has label "
                  + label
                  + "; the teacher scores "
                  + classes
                  + " classes (0 to "
                  + (classes - 1)
                  + ")");
        }
      }
    }

    step(
        context,
        10,
        "the teacher (v"
            + teacher.version()
            + ", "
            + teacher.format().id()
            + ") scores the transfer set");
    long scoringStarted = System.nanoTime();
    float[] trainT;
    float[] heldT;
    try (ModelRunner.Opened opened = models.open(teacher);
        Interruption.Tracked closing = context.closeOnStop(opened)) {
      trainT = scores(opened, input, output, trainX, trainCount, context);
      heldT = scores(opened, input, output, heldX, held, context);
    }
    if (probabilities(trainT, classes) && probabilities(heldT, classes)) {
      // Softened at T, probabilities would be almost flat targets: their logarithms are logits.
      logarithms(trainT);
      logarithms(heldT);
      jobs.log(job.id(), "the teacher answers probabilities: their logarithms are the targets");
    }
    double teacherSeconds = (System.nanoTime() - scoringStarted) / 1e9;
    jobs.log(
        job.id(),
        "teacher scored "
            + (trainCount + held)
            + " samples in "
            + JobRunner.round(teacherSeconds)
            + " s");

    Path dir = work.resolve("training");
    Files.createDirectories(dir);
    Path checkpoint = dir.resolve(DistillHost.CHECKPOINT);
    if (store.getScratch(Distillation.checkpointName(job.id()), checkpoint)) {
      jobs.log(
          job.id(),
          "continuing from the checkpoint after epoch "
              + DistillTraining.epochIn(checkpoint)
              + " of an earlier run");
    }
    DistillTraining.Setup setup =
        new DistillTraining.Setup(
            params, params.student(), input, output, fingerprint(job, teacher, params));
    DistillTraining.Samples train = new DistillTraining.Samples(trainX, trainT, trainY, trainCount);
    DistillTraining.Samples heldOut = new DistillTraining.Samples(heldX, heldT, heldY, held);
    step(context, 25, "training the student");
    DistillTraining.Outcome outcome;
    Long peakHeap = null;
    Long peakRss = null;
    Path model = dir.resolve(DistillHost.MODEL);
    int threads = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
    try (Epochs epochs = new Epochs(context, params.epochs(), checkpoint)) {
      if (sandbox != null) {
        Path request = dir.resolve("request.bin");
        DistillHost.write(
            request, new DistillHost.Request(setup, train, heldOut, engineCacheDir, threads));
        DistillHost.Result result = sandbox.distill(request, dir, context::stopping, epochs);
        outcome = result.outcome();
        peakHeap = result.peakHeapBytes();
        peakRss = result.peakRssBytes();
      } else {
        DistillHost.prepareEngine(engineCacheDir, threads);
        outcome =
            DistillTraining.train(
                setup, train, heldOut, checkpoint, model, epochs, context::stopping);
      }
    }
    context.checkpoint();
    jobs.log(
        job.id(),
        "trained "
            + outcome.epochsRun()
            + " epochs"
            + (outcome.stoppedEarly() ? " (stopped early)" : "")
            + "; exporting epoch "
            + outcome.bestEpoch()
            + " (ONNX export within "
            + outcome.exportMaxAbsDiff()
            + " of the trained network)");

    step(context, 88, "evaluating the student against the teacher");
    EvaluationData evaluation =
        params.evaluationDataset() != null
            ? data(job.model(), params.evaluationDataset(), signature, work, "evaluation")
            : heldOutData(input, heldX, heldY, held, params.dataset());
    StudentNetwork net = StudentNetwork.of(params.student(), input, output);
    Evaluator.Comparison comparison =
        compare(teacher, model, input, output, evaluation, context, job);
    PassDetails.Distilled details =
        new PassDetails.Distilled(
            params.student(),
            net.parameterCount(),
            teacher.format().id(),
            trainCount,
            held,
            augmented,
            trainY != null && params.alpha() < 1,
            outcome.epochsRun(),
            outcome.bestEpoch(),
            outcome.stoppedEarly(),
            outcome.resumedAfter(),
            outcome.history(),
            JobRunner.round(teacherSeconds),
            JobRunner.round(outcome.seconds()),
            outcome.exportMaxAbsDiff());
    long studentSize = Files.size(model);
    OptimizationReport report =
        new OptimizationReport(
            Distillation.NAME,
            params,
            JobRunner.evaluatedOn(evaluation),
            JobRunner.side(
                teacher.version(),
                teacher.sizeBytes(),
                teacher.parameterCount(),
                comparison.parent()),
            JobRunner.side(null, studentSize, net.parameterCount(), comparison.variant()),
            JobRunner.round((double) studentSize / teacher.sizeBytes()),
            teacher.parameterCount() == null
                ? null
                : JobRunner.round((double) net.parameterCount() / teacher.parameterCount()),
            JobRunner.round(
                comparison.variant().latencyP50Ms() / comparison.parent().latencyP50Ms()),
            new OptimizationReport.Agreement(
                comparison.top1Agreement(),
                comparison.maxAbsDiff(),
                comparison.meanAbsDiff(),
                comparison.accuracyDrop()),
            details,
            null,
            List.of(),
            List.of(),
            new OptimizationReport.Evaluation(
                comparison.samples(),
                evaluation.size(),
                "as served: teacher and student each in an engine host, called alternately"),
            new OptimizationReport.Resources(
                JobRunner.round(outcome.seconds()),
                peakHeap,
                sandbox == null ? null : properties.passHeap().toBytes(),
                peakRss));
    Double maxDrop = params.maxAccuracyDrop();
    if (maxDrop != null
        && comparison.accuracyDrop() != null
        && comparison.accuracyDrop() > maxDrop) {
      throw new AccuracyNotMet(
          "the student's accuracy is "
              + JobRunner.round(comparison.accuracyDrop())
              + " below the teacher's, more than maxAccuracyDrop "
              + maxDrop,
          report);
    }
    return new Produced(
        model,
        report,
        new Lineage(
            Distillation.NAME,
            new Teacher(teacher.version(), teacher.format().id(), teacher.parameterCount()),
            params,
            outcome.epochsRun(),
            outcome.bestEpoch()));
  }

  /** Removes the job's checkpoint (it succeeded, or was cancelled). */
  void forget(long job) {
    store.removeScratch(Distillation.checkpointName(job));
  }

  /**
   * Hears of epochs: logs them, reports progress, and stores the newest checkpoint for a worker
   * that may take the job over. Storing runs on a thread of its own, one upload at a time, each of
   * the newest checkpoint then (epochs finished meanwhile are not stored one by one): the thread
   * reading the training process never waits for object storage. Never throws.
   */
  private final class Epochs implements DistillTraining.Progress, AutoCloseable {
    private final JobContext context;
    private final int total;
    private final Path checkpoint;
    private final java.util.concurrent.ExecutorService uploads =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            dev.modelhub.common.DaemonThreads.named("modelhub-checkpoint"));
    private final java.util.concurrent.atomic.AtomicBoolean pending =
        new java.util.concurrent.atomic.AtomicBoolean();
    private volatile int stored;

    Epochs(JobContext context, int total, Path checkpoint) {
      this.context = context;
      this.total = total;
      this.checkpoint = checkpoint;
    }

    @Override
    public void unusable(String why) {
      try {
        jobs.log(
            context.job().id(),
            "the stored checkpoint is unusable (" + why + "); training starts over");
      } catch (RuntimeException e) {
        log.warn("Job {}: checkpoint unusable ({}): {}", context.job().id(), why, e.toString());
      }
    }

    @Override
    public void epoch(PassDetails.DistillEpoch epoch, Path file) {
      long id = context.job().id();
      String figures =
          "epoch "
              + epoch.epoch()
              + "/"
              + total
              + ": loss "
              + epoch.loss()
              + ", held-out agreement "
              + epoch.heldOutAgreement()
              + (epoch.heldOutAccuracy() == null ? "" : ", accuracy " + epoch.heldOutAccuracy())
              + (epoch.best() ? " (best)" : "");
      try {
        context.progress(25 + (int) (60L * epoch.epoch() / total), "training: " + figures);
        // The log keeps its last lines: the first epoch, about twenty more, and the last.
        if (epoch.epoch() == 1
            || epoch.epoch() % Math.max(1, total / 20) == 0
            || epoch.epoch() == total) {
          jobs.log(id, figures);
        }
      } catch (RuntimeException e) {
        log.warn("Job {}: could not report epoch {}: {}", id, epoch.epoch(), e.toString());
      }
      if (pending.compareAndSet(false, true)) {
        uploads.execute(this::storeNewest);
      }
    }

    private void storeNewest() {
      long id = context.job().id();
      try {
        pending.set(false);
        JobContext.Stop stop = context.stopReason();
        if (stop == JobContext.Stop.LEASE_LOST || stop == JobContext.Stop.CANCELLED) {
          return; // another worker owns the job now, or it is over: no checkpoint to keep
        }
        int epoch = DistillTraining.epochIn(checkpoint);
        if (epoch > stored) {
          store.putScratch(Distillation.checkpointName(id), checkpoint);
          stored = epoch;
        }
      } catch (RuntimeException e) {
        log.warn("Job {}: could not store a checkpoint: {}", id, e.toString());
      }
    }

    /**
     * Stops storing once the upload queued last is done (a retry or a worker taking over continues
     * from the newest checkpoint; a removal of the job's checkpoint comes after it, never before).
     */
    @Override
    public void close() {
      uploads.shutdown();
      try {
        if (!uploads.awaitTermination(2, java.util.concurrent.TimeUnit.MINUTES)) {
          uploads.shutdownNow();
          log.warn("Job {}: a checkpoint upload did not end in 2 minutes", context.job().id());
        }
      } catch (InterruptedException e) {
        uploads.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Names a run: the job, its teacher's bytes, its datasets' bytes and its parameters. A checkpoint
   * carries it, and one written for another run is not continued from.
   */
  private String fingerprint(JobView job, VersionRef teacher, PassParameters.Distill params) {
    java.security.MessageDigest sha256 = Digest.newSha256();
    StringBuilder text =
        new StringBuilder().append(job.id()).append('|').append(teacher.digest()).append('|');
    for (String reference : java.util.Arrays.asList(params.dataset(), params.evaluationDataset())) {
      text.append(
              reference == null
                  ? "-"
                  : datasets.find(job.model(), reference).map(DatasetView::digest).orElse("?"))
          .append('|');
    }
    text.append(params);
    return java.util.HexFormat.of()
        .formatHex(
            sha256.digest(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** Whether every row is a probability distribution (non-negative, summing to 1). */
  static boolean probabilities(float[] scores, int classes) {
    for (int row = 0; row < scores.length; row += classes) {
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        float p = scores[row + c];
        if (!(p >= 0 && p <= 1)) {
          return false;
        }
        sum += p;
      }
      if (Math.abs(sum - 1) > 1e-3) {
        return false;
      }
    }
    return scores.length > 0;
  }

  private static void logarithms(float[] probabilities) {
    for (int i = 0; i < probabilities.length; i++) {
      probabilities[i] = (float) Math.log(Math.max(probabilities[i], 1e-12));
    }
  }

  private EvaluationData data(
      String model, String reference, ModelSignature signature, Path work, String name)
      throws IOException {
    DatasetView dataset =
        datasets
            .find(model, reference)
            .orElseThrow(
                () -> new IllegalStateException("dataset '" + reference + "' no longer exists"));
    Path file = work.resolve(name + "-dataset");
    store.download(Digest.parse(dataset.digest()), file);
    return reader.read(file).toEvaluationData(signature, dataset.name());
  }

  private static EvaluationData heldOutData(
      TensorSpec input, float[] x, int[] labels, int count, String dataset) {
    return new EvaluationData(
        List.of(
            new InputColumn(
                input.name(),
                Datatype.FP32,
                EvaluationData.sampleShape(input),
                FloatBuffer.wrap(x))),
        labels,
        "dataset:" + dataset + " held-out slice",
        count);
  }

  private static float[] floats(EvaluationData data) {
    FloatBuffer values = ((FloatBuffer) data.inputs().get(0).values()).duplicate();
    values.rewind();
    float[] out = new float[values.remaining()];
    values.get(out);
    return out;
  }

  private static float[] rows(float[] values, int[] rows, int per) {
    float[] out = new float[rows.length * per];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(values, rows[i] * per, out, i * per, per);
    }
    return out;
  }

  private static int[] labels(int[] labels, int[] rows) {
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = labels[rows[i]];
    }
    return out;
  }

  private record Augmented(float[] inputs, int[] labels, int count) {}

  /**
   * The samples and {@code copies} more of each: shifted (image-shaped inputs) by up to {@code
   * maxShift} pixels along each image axis, the uncovered border zero, then with Gaussian noise.
   */
  static Augmented augment(
      float[] x, int[] labels, TensorSpec input, PassParameters.Augmentation augment, long seed) {
    long[] sample = StudentNetwork.sampleShape(input, "input");
    int per = Math.toIntExact(StudentNetwork.product(sample));
    int n = x.length / per;
    // Image axes: [H, W], [C, H, W] (C ≤ 4) or [H, W, C] (C ≤ 4); other shapes get noise only.
    int channels = 1;
    int height = 0;
    int width = 0;
    boolean channelsLast = false;
    if (sample.length == 2) {
      height = (int) sample[0];
      width = (int) sample[1];
    } else if (sample.length == 3 && sample[0] <= 4) {
      channels = (int) sample[0];
      height = (int) sample[1];
      width = (int) sample[2];
    } else if (sample.length == 3 && sample[2] <= 4) {
      height = (int) sample[0];
      width = (int) sample[1];
      channels = (int) sample[2];
      channelsLast = true;
    }
    boolean image = height > 0;
    int copies = augment.copies();
    float[] out = Arrays.copyOf(x, Math.multiplyExact(x.length, copies + 1));
    int[] outLabels = labels == null ? null : new int[n * (copies + 1)];
    Random random = new Random(seed ^ 0x5DEECE66DL);
    for (int c = 1; c <= copies; c++) {
      for (int s = 0; s < n; s++) {
        int target = (c * n + s) * per;
        int source = s * per;
        int dy = image ? random.nextInt(2 * augment.maxShift() + 1) - augment.maxShift() : 0;
        int dx = image ? random.nextInt(2 * augment.maxShift() + 1) - augment.maxShift() : 0;
        for (int i = 0; i < per; i++) {
          float value;
          if (image) {
            int ch;
            int y;
            int xx;
            if (channelsLast) {
              ch = i % channels;
              xx = (i / channels) % width;
              y = i / (channels * width);
            } else {
              xx = i % width;
              y = (i / width) % height;
              ch = i / (width * height);
            }
            int sy = y - dy;
            int sx = xx - dx;
            if (sy < 0 || sy >= height || sx < 0 || sx >= width) {
              value = 0;
            } else {
              int from =
                  channelsLast
                      ? (sy * width + sx) * channels + ch
                      : (ch * height + sy) * width + sx;
              value = x[source + from];
            }
          } else {
            value = x[source + i];
          }
          out[target + i] = (float) (value + random.nextGaussian() * augment.noise());
        }
      }
    }
    if (labels != null) {
      for (int c = 0; c <= copies; c++) {
        System.arraycopy(labels, 0, outLabels, c * n, n);
      }
    }
    return new Augmented(out, outLabels, n * (copies + 1));
  }

  /** A model's first output for every sample, flattened, called in batches. */
  private static float[] scores(
      ModelRunner.Opened model,
      TensorSpec input,
      TensorSpec output,
      float[] x,
      int count,
      JobContext context)
      throws Exception {
    long[] sample = StudentNetwork.sampleShape(input, "input");
    int per = Math.toIntExact(StudentNetwork.product(sample));
    int classes =
        Math.toIntExact(StudentNetwork.product(StudentNetwork.sampleShape(output, "output")));
    long fixed = input.shape().get(0);
    int batch = fixed > 0 ? (int) fixed : TEACHER_BATCH;
    float[] out = new float[count * classes];
    for (int start = 0; start < count; start += batch) {
      context.checkpoint();
      int n = Math.min(batch, count - start);
      // A model whose batch dimension is fixed gets full batches: the last one padded with zeros.
      int rows = fixed > 0 ? batch : n;
      double[] values = new double[rows * per];
      for (int i = 0; i < n * per; i++) {
        values[i] = x[start * per + i];
      }
      long[] shape = new long[sample.length + 1];
      shape[0] = rows;
      System.arraycopy(sample, 0, shape, 1, sample.length);
      List<Tensor> result;
      try {
        result =
            model.call(
                List.of(
                    new Tensor(input.name(), Datatype.FP32, shape, new TensorData.Reals(values))));
      } catch (Exception e) {
        context.checkpoint(); // a stop closed the model under the call: that is why it failed
        throw e;
      }
      Tensor first = result.get(0);
      if (!(first.data() instanceof TensorData.Reals reals)
          || reals.values().length != rows * classes) {
        throw new IllegalStateException(
            "the model answered "
                + first
                + " for "
                + rows
                + " samples; its signature says "
                + output.shape());
      }
      for (int i = 0; i < n * classes; i++) {
        out[start * classes + i] = (float) reals.values()[i];
      }
    }
    return out;
  }

  /**
   * Teacher and student on the evaluation samples, as serving runs them: outputs on every sample,
   * then single-sample latency, the two called alternately so machine noise hits both alike.
   */
  private Evaluator.Comparison compare(
      VersionRef teacher,
      Path student,
      TensorSpec input,
      TensorSpec output,
      EvaluationData data,
      JobContext context,
      JobView job)
      throws Exception {
    float[] x = floats(data);
    int classes =
        Math.toIntExact(StudentNetwork.product(StudentNetwork.sampleShape(output, "output")));
    int per = x.length / data.size();
    try (ModelRunner.Opened t = models.open(teacher);
        ModelRunner.Opened s =
            models.openOnnx(
                job.model() + " distilled student (job " + job.id() + ")",
                student,
                new ModelSignature(List.of(input), List.of(output)));
        Interruption.Tracked closingTeacher = context.closeOnStop(t);
        Interruption.Tracked closingStudent = context.closeOnStop(s)) {
      float[] teacherScores = scores(t, input, output, x, data.size(), context);
      float[] studentScores = scores(s, input, output, x, data.size(), context);
      List<ModelRunner.Opened> both = List.of(t, s);
      int runs = properties.latencyRuns();
      double[][] ms = new double[2][runs];
      for (int run = -10; run < runs; run++) {
        context.checkpoint();
        int sample = Math.floorMod(run, data.size());
        float[] one = Arrays.copyOfRange(x, sample * per, (sample + 1) * per);
        for (int m = 0; m < 2; m++) {
          int which = (run & 1) == 0 ? m : 1 - m;
          long started = System.nanoTime();
          scores(both.get(which), input, output, one, 1, context);
          if (run >= 0) {
            ms[which][run] = (System.nanoTime() - started) / 1e6;
          }
        }
      }
      return Evaluator.compare(
          new Evaluator.Outputs(perSample(teacherScores, classes)),
          new Evaluator.Outputs(perSample(studentScores, classes)),
          data,
          ms[0],
          ms[1],
          true);
    }
  }

  private static float[][] perSample(float[] flat, int per) {
    float[][] out = new float[flat.length / per][];
    for (int i = 0; i < out.length; i++) {
      out[i] = Arrays.copyOfRange(flat, i * per, (i + 1) * per);
    }
    return out;
  }

  private static void step(JobContext context, int progress, String message) {
    context.checkpoint();
    context.progress(progress, message);
  }
}
