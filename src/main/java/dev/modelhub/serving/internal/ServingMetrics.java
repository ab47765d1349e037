package dev.modelhub.serving.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Serving's meters: versions served and draining, model loads, inference requests and admission.
 * Meters tagged by model are built once per model (and outcome), not on every request.
 */
public class ServingMetrics {

  private final MeterRegistry meters;
  private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();
  private final Map<List<String>, Timer> timers = new ConcurrentHashMap<>();
  private final Map<List<String>, VersionGauges> versionGauges = new ConcurrentHashMap<>();

  public ServingMetrics(MeterRegistry meters) {
    this.meters = meters;
  }

  /** Gauges over what this node serves and drains. */
  public void watch(ServedSlots slots, VersionPool pool) {
    Gauge.builder("modelhub.served.versions", slots, ServedSlots::servedVersionCount)
        .description("Model versions loaded and answering on this node")
        .register(meters);
    Gauge.builder("modelhub.draining.versions", pool, VersionPool::drainingCount)
        .description("Swapped-out versions finishing their requests before they close")
        .register(meters);
  }

  /** Gauges over the memory budget: the budget and what loaded versions hold of it. */
  void watch(MemoryBudget budget) {
    Gauge.builder("modelhub.serving.memory.budget", budget, MemoryBudget::budget)
        .description(
            "Memory the loaded versions may take together (modelhub.serving.memory-budget)")
        .baseUnit("bytes")
        .register(meters);
    Gauge.builder("modelhub.serving.memory.reserved", budget, MemoryBudget::reserved)
        .description("Memory reserved by loaded and loading versions (estimate or measured)")
        .baseUnit("bytes")
        .register(meters);
  }

  /**
   * Per-version gauges while the version is loaded: its load time and its resident memory (its
   * host's, read live, or what its load added to a shared process); removed when it closes.
   */
  void versionLoaded(LoadedVersion loaded, double loadSeconds) {
    List<String> key = List.of(loaded.model(), Integer.toString(loaded.version()));
    // One pair of gauges per model version, reading whichever copy loaded last: a reload while
    // the old copy drains takes the gauges over, and the old copy's close leaves them be.
    VersionGauges gauges =
        versionGauges.computeIfAbsent(
            key,
            k -> {
              VersionGauges g = new VersionGauges();
              g.time =
                  Gauge.builder("modelhub.model.load.seconds", g, x -> x.seconds)
                      .description(
                          "How long loading this version took (download, unpack, engine, warm-up)")
                      .baseUnit("seconds")
                      .tag("model", k.get(0))
                      .tag("version", k.get(1))
                      .register(meters);
              g.resident =
                  Gauge.builder(
                          "modelhub.model.resident",
                          g,
                          x -> x.current == null ? -1 : x.current.residentBytes())
                      .description("Resident memory this loaded version holds (-1 when unknown)")
                      .baseUnit("bytes")
                      .tag("model", k.get(0))
                      .tag("version", k.get(1))
                      .register(meters);
              return g;
            });
    synchronized (gauges) {
      gauges.current = loaded;
      gauges.seconds = loadSeconds;
    }
    loaded.onClose(
        () -> {
          synchronized (gauges) {
            if (gauges.current != loaded) {
              return;
            }
            versionGauges.remove(key, gauges);
            meters.remove(gauges.time);
            meters.remove(gauges.resident);
          }
        });
  }

  /** The gauges of one loaded model version. */
  private static final class VersionGauges {
    volatile LoadedVersion current;
    volatile double seconds;
    Gauge time;
    Gauge resident;
  }

  public Timer.Sample startTimer() {
    return Timer.start(meters);
  }

  /** A load of a version of {@code model} ended with {@code outcome}. */
  /**
   * How a loaded version's warm-up went: {@code warmed}, {@code refused} (the engine refused the
   * generated input: served without warm-up) or {@code skipped} (inputs too large to generate).
   */
  void warmUp(String model, String outcome) {
    counter(
            "modelhub.model.warmups",
            "Warm-ups of loaded versions by outcome; a refused one does not fail the load",
            model,
            null,
            outcome)
        .increment();
  }

  void loaded(String model, String outcome, Timer.Sample sample) {
    counter("modelhub.model.loads", "Model version loads by outcome", model, null, outcome)
        .increment();
    sample.stop(
        timer(
            "modelhub.model.load.duration",
            "Time to download, load and warm up a model version",
            model,
            null,
            outcome,
            false));
  }

  /** Rows per engine call of a batched version ({@code modelhub_inference_batch_size}). */
  DistributionSummary batchSize(String model) {
    return DistributionSummary.builder("modelhub.inference.batch.size")
        .description("Rows per engine call of a dynamically batched model")
        .tag("model", model)
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
        .register(meters);
  }

  /** How long requests of a batched version waited for their batch. */
  Timer queueDelay(String model) {
    return timer(
        "modelhub.inference.queue.delay",
        "Time a request waited for its dynamic batch",
        model,
        null,
        null,
        true);
  }

  /** An inference request for {@code model} ended with {@code outcome}. */
  public void request(String model, String version, String outcome, Timer.Sample sample) {
    counter("modelhub.inference.requests", "Inference requests by outcome", model, version, outcome)
        .increment();
    sample.stop(
        timer(
            "modelhub.inference.duration",
            "Inference request time, admission to answer",
            model,
            version,
            null,
            true));
  }

  /** The engine host of {@code model} v{@code version} ended on its own. */
  void engineCrashed(String model, int version) {
    String v = Integer.toString(version);
    counters
        .computeIfAbsent(
            key("modelhub.engine.crashes", model, v, null),
            k ->
                Counter.builder("modelhub.engine.crashes")
                    .description("Engine hosts that ended on their own (crash, kill, limit)")
                    .tag("model", model)
                    .tag("version", v)
                    .register(meters))
        .increment();
  }

  /** The places for requests to {@code model}, with a gauge of those taken. */
  public Semaphore admission(String model, int capacity) {
    Semaphore permits = new Semaphore(capacity);
    Gauge.builder("modelhub.inference.admitted", permits, p -> capacity - p.availablePermits())
        .description(
            "Requests running or queued per model (429 beyond predictors + queue capacity)")
        .tag("model", model)
        .register(meters);
    return permits;
  }

  private Counter counter(
      String name, String description, String model, String version, String outcome) {
    return counters.computeIfAbsent(
        key(name, model, version, outcome),
        k -> tagged(Counter.builder(name).description(description), model, version, outcome));
  }

  private Timer timer(
      String name,
      String description,
      String model,
      String version,
      String outcome,
      boolean histogram) {
    return timers.computeIfAbsent(
        key(name, model, version, outcome),
        k -> {
          Timer.Builder builder = Timer.builder(name).description(description).tag("model", model);
          if (version != null) {
            builder.tag("version", version);
          }
          if (outcome != null) {
            builder.tag("outcome", outcome);
          }
          if (histogram) {
            builder.publishPercentileHistogram();
          }
          return builder.register(meters);
        });
  }

  private Counter tagged(Counter.Builder builder, String model, String version, String outcome) {
    builder.tag("model", model).tag("outcome", outcome);
    if (version != null) {
      builder.tag("version", version);
    }
    return builder.register(meters);
  }

  private static List<String> key(String name, String model, String version, String outcome) {
    return Arrays.asList(name, model, version, outcome);
  }
}
