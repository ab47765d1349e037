package dev.modelhub.serving;

import ai.djl.engine.EngineException;
import ai.djl.translate.TranslateException;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.UnprocessableException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.Pipeline;
import dev.modelhub.format.PipelineCheck;
import dev.modelhub.format.PipelineProperties;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.internal.EngineStopped;
import dev.modelhub.serving.internal.ImageSteps;
import dev.modelhub.serving.internal.InferenceSupport;
import dev.modelhub.serving.internal.LoadedVersion;
import dev.modelhub.serving.internal.PostSteps;
import dev.modelhub.serving.internal.RowSteps;
import dev.modelhub.serving.internal.ServedSlots;
import dev.modelhub.serving.internal.ServingMetrics;
import dev.modelhub.serving.internal.VersionPool;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Answers inference requests from the versions loaded on this node. A request is first {@link
 * #admit admitted} — the model must be served here and have room: at most predictors +
 * queue-capacity requests per model at a time (more get 429) — and only then is its body read. A
 * request holds its version until it finishes, so a swap never cuts it off. State kept per model
 * name (admission, meters) exists only for models this node serves: a name nobody promoted costs
 * nothing.
 */
public class InferenceService {

  /** The model tag of requests for names this node does not serve (one series for all). */
  static final String UNKNOWN_MODEL = "_not_served";

  private final BooleanSupplier started;
  private final ServedSlots slots;
  private final VersionPool pool;
  private final ServingProperties properties;
  private final PipelineProperties pipelines;
  private final ServingMetrics metrics;
  private final Map<String, Semaphore> admission = new ConcurrentHashMap<>();

  public InferenceService(
      ServedSlots slots,
      VersionPool pool,
      ServingProperties properties,
      PipelineProperties pipelines,
      ServingMetrics metrics,
      BooleanSupplier started) {
    this.pipelines = pipelines;
    this.started = started;
    this.slots = slots;
    this.pool = pool;
    this.properties = properties;
    this.metrics = metrics;
  }

  /**
   * Admits one request for {@code model} (a version, or the version serving {@code alias}; null for
   * the default alias) before its body is read. Close the admission when done.
   *
   * @throws ServingExceptions.NotServed this node does not serve it (404)
   * @throws ServingExceptions.Unavailable it is loading and nothing older answers (503)
   * @throws ServingExceptions.Busy its queue is full (429)
   */
  public Admission admit(String model, Integer version, String alias) {
    Timer.Sample sample = metrics.startTimer();
    LoadedVersion loaded;
    try {
      loaded = slots.acquire(model, version, alias == null ? properties.defaultAlias() : alias);
    } catch (ServingExceptions.NotServed e) {
      record(UNKNOWN_MODEL, "none", "not_served", sample);
      throw e;
    } catch (ServingExceptions.Unavailable e) {
      record(model, "none", "unavailable", sample);
      throw e;
    }
    int capacity = properties.predictors() + properties.queueCapacity();
    Semaphore permits = admission.computeIfAbsent(model, m -> metrics.admission(m, capacity));
    if (!permits.tryAcquire()) {
      loaded.release();
      record(model, Integer.toString(loaded.version()), "rejected", sample);
      throw new ServingExceptions.Busy(model, capacity);
    }
    return new Admission(loaded, permits, sample);
  }

  /** Admits and runs one request whose body is already read. */
  public InferenceResult infer(InferenceRequest request) {
    try (Admission admitted = admit(request.model(), request.version(), request.alias())) {
      return admitted.infer(request.inputs(), request.outputs());
    }
  }

  /**
   * One admitted request: holds its version and a place in the model's queue until closed. Its
   * outcome is counted when it closes.
   */
  public final class Admission implements AutoCloseable {
    private final LoadedVersion loaded;
    private final Semaphore permits;
    private final Timer.Sample sample;

    /**
     * When the request's work began: its first pre-processing step or engine call. Reading its body
     * does not count against the inference timeout (a slow upload is not the engine's time).
     */
    private long startedAt = -1;

    /** Read once: a pipeline changed while the request runs applies from the next one. */
    private final Pipeline pipeline;

    private String outcome = "error";
    private boolean closed;

    /** An engine call that overran: its place in the queue is given back when it returns. */
    private CompletableFuture<?> stuck;

    private Admission(LoadedVersion loaded, Semaphore permits, Timer.Sample sample) {
      this.loaded = loaded;
      this.permits = permits;
      this.sample = sample;
      this.pipeline = loaded.pipeline();
    }

    /** The version answering, for reading the body against its signature. */
    public ServedModel model() {
      return new ServedModel(
          loaded.model(),
          loaded.version(),
          loaded.format(),
          loaded.signature(),
          loaded.batching(),
          pipeline);
    }

    /**
     * The input tensor for encoded images, one per row, through the version's pipeline.
     *
     * @throws dev.modelhub.common.InvalidRequestException the version has no image pipeline, or an
     *     image cannot go through it (400)
     */
    public Tensor images(List<byte[]> images) {
      try {
        if (pipeline == null || !pipeline.preprocesses() || pipeline.columns() != null) {
          throw ServingExceptions.invalidInput(
              "Version "
                  + loaded.version()
                  + " of '"
                  + loaded.model()
                  + "' has no image pipeline; send tensors, or set one (PUT"
                  + " /api/v1/models/{m}/versions/{v}/pipeline).");
        }
        return ImageSteps.tensor(
            pipeline,
            PipelineCheck.input(pipeline, loaded.signature()),
            images,
            pipelines.maxImagePixels(),
            properties.maxTensorElements(),
            this::checkDeadline);
      } catch (ServingExceptions.Timeout e) {
        throw e;
      } catch (RuntimeException e) {
        outcome = "bad_request";
        throw e;
      }
    }

    /**
     * The input tensor for tabular rows (column name → number) through the version's pipeline.
     *
     * @throws dev.modelhub.common.InvalidRequestException the version has no columns pipeline, or a
     *     row does not fit it (400)
     */
    public Tensor rows(List<Map<String, Object>> rows) {
      try {
        if (pipeline == null || pipeline.columns() == null) {
          throw ServingExceptions.invalidInput(
              "Version "
                  + loaded.version()
                  + " of '"
                  + loaded.model()
                  + "' has no pipeline for rows (a columns step); send tensors"
                  + (pipeline != null && pipeline.preprocesses() ? ", or images" : "")
                  + ".");
        }
        return RowSteps.tensor(
            pipeline.columns(),
            PipelineCheck.input(pipeline, loaded.signature()),
            rows,
            properties.maxTensorElements());
      } catch (RuntimeException e) {
        outcome = "bad_request";
        throw e;
      }
    }

    /**
     * Runs a pipeline's input tensor ({@link #images}, {@link #rows}) and post-processes the output
     * the pipeline reads: one classification per row, after its threshold and top-k.
     */
    public List<Classification> predict(Tensor input) {
      InferenceResult result = infer(List.of(input), List.of(classifiedOutput()));
      return classify(result.outputs().get(0), null, true);
    }

    /** The output post-processing reads: the pipeline's, else the model's first. */
    private String classifiedOutput() {
      TensorSpec output =
          PipelineCheck.output(
              pipeline == null ? new Pipeline(null, null, null, null, null) : pipeline,
              loaded.signature());
      if (output == null) {
        throw ServingExceptions.invalidInput("The model has no output to classify.");
      }
      return output.name();
    }

    private long started() {
      if (startedAt < 0) {
        startedAt = System.nanoTime();
      }
      return startedAt;
    }

    /** Throws when the request has used its time (pre-processing counts against it). */
    private void checkDeadline() {
      if (System.nanoTime() - started() >= properties.inferenceTimeout().toNanos()) {
        outcome = "timeout";
        throw new ServingExceptions.Timeout(loaded.model(), properties.inferenceTimeout());
      }
    }

    /**
     * Post-processing of {@code output}: one classification per row.
     *
     * @param k classes per row, or null for the pipeline's top-k
     * @param filter whether the pipeline's threshold applies
     */
    public List<Classification> classify(Tensor output, Integer k, boolean filter) {
      return PostSteps.classify(pipeline, output, k, filter);
    }

    /**
     * The result with the outputs that asked for classification answered as Triton's classification
     * extension does: a BYTES tensor of the k best classes per row, each {@code "score:index"} or
     * {@code "score:index:label"}, best first; scores after the pipeline's softmax or sigmoid.
     */
    public InferenceResult classified(InferenceResult result, Map<String, Integer> classification) {
      if (classification.isEmpty()) {
        return result;
      }
      List<Tensor> outputs = new ArrayList<>(result.outputs().size());
      for (Tensor output : result.outputs()) {
        Integer k = classification.get(output.name());
        if (k == null) {
          outputs.add(output);
          continue;
        }
        List<Classification> rows = classify(output, k, false);
        int kept = rows.isEmpty() ? 0 : rows.get(0).classes().size();
        String[] values = new String[rows.size() * kept];
        int at = 0;
        for (Classification row : rows) {
          for (Classification.Scored c : row.classes()) {
            values[at++] =
                String.format(Locale.ROOT, "%f:%d", c.score(), c.index())
                    + (c.label() == null ? "" : ":" + c.label());
          }
        }
        long[] shape = output.shape().clone();
        shape[shape.length - 1] = kept;
        outputs.add(
            new Tensor(output.name(), Datatype.BYTES, shape, new TensorData.Strings(values)));
      }
      return new InferenceResult(result.model(), result.version(), outputs);
    }

    /**
     * Runs the request; outputs filtered to {@code outputs} unless empty. An input the pipeline
     * fills that arrives as BYTES (encoded images) goes through pre-processing first; the time it
     * takes counts against the request's deadline.
     */
    public InferenceResult infer(List<Tensor> inputs, List<String> outputs) {
      try {
        List<Tensor> ready = preprocessed(inputs);
        Duration left = properties.inferenceTimeout().minusNanos(System.nanoTime() - started());
        if (left.isNegative() || left.isZero()) {
          throw new TimeoutException("pre-processing used the request's time");
        }
        List<Tensor> results = InferenceSupport.run(loaded, ready, outputs, left);
        outcome = "success";
        return new InferenceResult(loaded.model(), loaded.version(), results);
      } catch (InvalidRequestException e) {
        outcome = "bad_request";
        throw e;
      } catch (TimeoutException e) {
        outcome = "timeout";
        if (e instanceof LoadedVersion.StuckCall call) {
          stuck = call.call();
        }
        throw new ServingExceptions.Timeout(loaded.model(), properties.inferenceTimeout());
      } catch (EngineStopped e) {
        outcome = "engine_stopped";
        throw new ServingExceptions.EngineDown(e.getMessage());
      } catch (TranslateException | EngineException | IllegalArgumentException e) {
        outcome = "inference_failed";
        throw new UnprocessableException(
            "inference-failed",
            "Inference failed",
            "The model could not run on this input: " + e.getMessage(),
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for a predictor", e);
      }
    }

    /**
     * The inputs with encoded images (a BYTES tensor where the pipeline's input takes numbers)
     * pre-processed, and other BYTES elements read as the UTF-8 text engines take.
     */
    private List<Tensor> preprocessed(List<Tensor> inputs) {
      TensorSpec target =
          pipeline != null && pipeline.preprocesses() && pipeline.columns() == null
              ? PipelineCheck.input(pipeline, loaded.signature())
              : null;
      List<Tensor> ready = new ArrayList<>(inputs.size());
      for (Tensor input : inputs) {
        if (target != null
            && input.name().equals(target.name())
            && input.datatype() == Datatype.BYTES
            && target.datatype() != Datatype.BYTES) {
          ready.add(images(encoded(input)));
        } else {
          ready.add(TensorBytes.text(input));
        }
      }
      return ready;
    }

    /** {@code input}'s elements as encoded images: raw bytes, or base64 text in JSON. */
    private List<byte[]> encoded(Tensor input) {
      if (input.data() instanceof TensorData.Blobs blobs) {
        return Arrays.asList(blobs.values());
      }
      String[] text = ((TensorData.Strings) input.data()).values();
      List<byte[]> images = new ArrayList<>(text.length);
      for (int i = 0; i < text.length; i++) {
        try {
          images.add(TensorBytes.base64(text[i]));
        } catch (IllegalArgumentException e) {
          outcome = "bad_request";
          throw ServingExceptions.invalidInput(
              "Input '"
                  + input.name()
                  + "' element "
                  + i
                  + " is not base64; in JSON, images go as base64 text (or send them raw with the"
                  + " binary extension).");
        }
      }
      return images;
    }

    /** Marks the request as refused before it ran (a body that could not be read). */
    public void refused() {
      outcome = "bad_request";
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (stuck == null) {
        permits.release();
      } else {
        // A call still running in the engine keeps its place: clients cannot pile up stuck calls.
        stuck.whenComplete((result, error) -> permits.release());
      }
      loaded.release();
      record(loaded.model(), Integer.toString(loaded.version()), outcome, sample);
    }
  }

  /** Metadata of a served version (or the default alias's). */
  public ServedModel describe(String model, Integer version) {
    return describe(model, version, properties.defaultAlias());
  }

  /** Metadata of a served version, or of the version serving {@code alias}. */
  public ServedModel describe(String model, Integer version, String alias) {
    LoadedVersion loaded = slots.acquire(model, version, alias);
    try {
      return new ServedModel(
          model,
          loaded.version(),
          loaded.format(),
          loaded.signature(),
          loaded.batching(),
          loaded.pipeline());
    } finally {
      loaded.release();
    }
  }

  /** Versions of a model answering on this node (empty if none). */
  public List<Integer> servedVersions(String model) {
    return List.copyOf(slots.servedVersions(model));
  }

  /** Versions of a model swapped out and still finishing their requests. */
  public List<Integer> drainingVersions(String model) {
    return List.copyOf(pool.drainingVersions(model));
  }

  /** What this node serves, per model alias. */
  public List<SlotStatus> status() {
    return slots.status();
  }

  /** Whether the loads this node started with have all ended (loaded or failed). */
  public boolean started() {
    return started.getAsBoolean();
  }

  /**
   * Whether this node is ready for traffic: the loads it started with have ended (loaded or failed;
   * a node that has just started takes no traffic before it has what was promoted), and every model
   * the operator listed in {@code critical-models} has a version answering. Other models are ready
   * or not on their own ({@code /v2/models/{m}/ready}): one that cannot load does not take the node
   * out.
   */
  public boolean ready() {
    return started.getAsBoolean()
        && slots.status().stream()
            .filter(s -> properties.criticalModels().contains(s.model()))
            .allMatch(s -> s.version() != null);
  }

  /**
   * Whether a model answers: {@code version} when given, else the version under {@code alias} (the
   * default alias when null). False while it is wanted but still loading or failing.
   *
   * @throws ServingExceptions.NotServed nothing on this node wants it (404)
   */
  public boolean ready(String model, Integer version, String alias) {
    List<Integer> served = servedVersions(model);
    List<SlotStatus> slots = status().stream().filter(s -> s.model().equals(model)).toList();
    boolean ready;
    boolean wanted;
    if (version != null) {
      ready = served.contains(version);
      wanted = ready || slots.stream().anyMatch(s -> s.desiredVersion() == version);
    } else {
      String name = alias == null ? properties.defaultAlias() : alias;
      var slot = slots.stream().filter(s -> s.alias().equals(name)).findFirst();
      ready = slot.map(s -> s.version() != null).orElse(false);
      wanted = slot.isPresent();
    }
    if (!wanted) {
      throw new ServingExceptions.NotServed(
          "Model '"
              + model
              + "'"
              + (version != null
                  ? " version " + version
                  : alias != null ? " alias '" + alias + "'" : "")
              + " is not served on this node.",
          served);
    }
    return ready;
  }

  /** Whether {@code model} has a version answering under the default alias. */
  public boolean modelReady(String model) {
    return slots.status().stream()
        .anyMatch(
            s ->
                s.model().equals(model)
                    && s.alias().equals(properties.defaultAlias())
                    && s.version() != null);
  }

  private void record(String model, String version, String outcome, Timer.Sample sample) {
    metrics.request(model, version, outcome, sample);
  }
}
