package dev.modelhub.serving;

import ai.djl.engine.EngineException;
import ai.djl.translate.TranslateException;
import dev.modelhub.common.UnprocessableException;
import dev.modelhub.serving.internal.InferenceSupport;
import dev.modelhub.serving.internal.LoadedVersion;
import dev.modelhub.serving.internal.ServingController;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Answers inference requests from the versions loaded on this node. Each model admits at most
 * predictors + queue-capacity requests at a time (more get 429); a request holds its version until
 * it finishes, so a swap never cuts it off.
 */
public class InferenceService {

  private final ServingController controller;
  private final ServingProperties properties;
  private final MeterRegistry meters;
  private final Map<String, Semaphore> admission = new ConcurrentHashMap<>();

  /** Meters by model, version and outcome: built once, not on every request. */
  private final Map<List<String>, Counter> requests = new ConcurrentHashMap<>();

  private final Map<List<String>, Timer> durations = new ConcurrentHashMap<>();

  public InferenceService(
      ServingController controller, ServingProperties properties, MeterRegistry meters) {
    this.controller = controller;
    this.properties = properties;
    this.meters = meters;
  }

  public InferenceResult infer(InferenceRequest request) {
    Timer.Sample sample = Timer.start(meters);
    String version = request.version() == null ? "none" : request.version().toString();
    String outcome = "error";
    int capacity = properties.predictors() + properties.queueCapacity();
    Semaphore permits = admission.computeIfAbsent(request.model(), m -> admit(m, capacity));
    if (!permits.tryAcquire()) {
      record(request.model(), version, "rejected", sample);
      throw new ServingExceptions.Busy(request.model(), capacity);
    }
    try {
      LoadedVersion loaded =
          controller.acquire(
              request.model(),
              request.version(),
              request.alias() == null ? properties.defaultAlias() : request.alias());
      version = Integer.toString(loaded.version());
      try {
        List<Tensor> outputs = InferenceSupport.run(loaded, request.inputs(), request.outputs());
        outcome = "success";
        return new InferenceResult(request.model(), loaded.version(), outputs);
      } finally {
        loaded.release();
      }
    } catch (ServingExceptions.NotServed e) {
      outcome = "not_served";
      throw e;
    } catch (ServingExceptions.Unavailable e) {
      outcome = "unavailable";
      throw e;
    } catch (dev.modelhub.common.InvalidRequestException e) {
      outcome = "bad_request";
      throw e;
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
    } finally {
      permits.release();
      record(request.model(), version, outcome, sample);
    }
  }

  private Semaphore admit(String model, int capacity) {
    Semaphore permits = new Semaphore(capacity);
    Gauge.builder("modelhub.inference.admitted", permits, p -> capacity - p.availablePermits())
        .description(
            "Requests running or queued per model (429 beyond predictors + queue capacity)")
        .tag("model", model)
        .register(meters);
    return permits;
  }

  /** Metadata of a served version (or the default alias's). */
  public ServedModel describe(String model, Integer version) {
    return describe(model, version, properties.defaultAlias());
  }

  /** Metadata of a served version, or of the version serving {@code alias}. */
  public ServedModel describe(String model, Integer version, String alias) {
    LoadedVersion loaded = controller.acquire(model, version, alias);
    try {
      return new ServedModel(model, loaded.version(), loaded.format(), loaded.signature());
    } finally {
      loaded.release();
    }
  }

  /** Versions of a model answering on this node (empty if none). */
  public List<Integer> servedVersions(String model) {
    return List.copyOf(controller.servedVersions(model));
  }

  /** Versions of a model swapped out and still finishing their requests. */
  public List<Integer> drainingVersions(String model) {
    return List.copyOf(controller.drainingVersions(model));
  }

  /** What this node serves, per model alias. */
  public List<SlotStatus> status() {
    return controller.status();
  }

  /** Whether every desired version is loaded or an older one serves in its place. */
  public boolean ready() {
    return controller.status().stream().allMatch(s -> s.version() != null);
  }

  private void record(String model, String version, String outcome, Timer.Sample sample) {
    requests
        .computeIfAbsent(
            List.of(model, version, outcome),
            k ->
                Counter.builder("modelhub.inference.requests")
                    .description("Inference requests by outcome")
                    .tag("model", model)
                    .tag("version", version)
                    .tag("outcome", outcome)
                    .register(meters))
        .increment();
    sample.stop(
        durations.computeIfAbsent(
            List.of(model, version),
            k ->
                Timer.builder("modelhub.inference.duration")
                    .description("Inference request time, admission to answer")
                    .tag("model", model)
                    .tag("version", version)
                    .publishPercentileHistogram()
                    .register(meters)));
  }
}
