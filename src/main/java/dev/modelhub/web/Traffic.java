package dev.modelhub.web;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * Request rate and p95 latency per served model, from the node's own inference timer ({@code
 * modelhub.inference.duration}): the rate since the figures were last read (at least 10 s before),
 * the p95 over the node's life from the timer's histogram buckets.
 */
@Component
class Traffic {

  private static final String TIMER = "modelhub.inference.duration";
  private static final Duration MIN_WINDOW = Duration.ofSeconds(10);

  /**
   * One model's figures.
   *
   * @param requests requests answered since the node started
   * @param perSecond requests per second lately
   * @param p95Ms the 95th percentile of request time, in milliseconds (null without requests)
   */
  record Figures(long requests, double perSecond, Double p95Ms) {}

  private record Reading(Instant at, long count) {}

  private final MeterRegistry meters;
  private final Clock clock;
  private final Instant started;
  private final Map<String, Reading> previous = new ConcurrentHashMap<>();
  private final Map<String, Reading> current = new ConcurrentHashMap<>();

  Traffic(MeterRegistry meters, Clock clock) {
    this.meters = meters;
    this.clock = clock;
    this.started = clock.instant();
  }

  Map<String, Figures> byModel() {
    Map<String, long[]> counts = new TreeMap<>();
    Map<String, Double> p95 = new TreeMap<>();
    Map<String, HistogramSnapshot> snapshots = new TreeMap<>();
    for (Timer timer : meters.find(TIMER).timers()) {
      String model = timer.getId().getTag("model");
      if (model == null) {
        continue;
      }
      counts.computeIfAbsent(model, k -> new long[1])[0] += timer.count();
      snapshots.merge(model, timer.takeSnapshot(), (a, b) -> a.count() >= b.count() ? a : b);
    }
    snapshots.forEach((model, snapshot) -> p95.put(model, percentile(snapshot, 0.95)));
    Instant now = clock.instant();
    Map<String, Figures> figures = new TreeMap<>();
    counts.forEach(
        (model, count) -> {
          Reading before = since(model, now, count[0]);
          double seconds = Math.max(1e-3, Duration.between(before.at(), now).toMillis() / 1000.0);
          figures.put(
              model, new Figures(count[0], (count[0] - before.count()) / seconds, p95.get(model)));
        });
    return figures;
  }

  /** The reading to measure the rate from: the last one at least MIN_WINDOW old. */
  private Reading since(String model, Instant now, long count) {
    Reading latest = current.get(model);
    if (latest == null) {
      current.put(model, new Reading(now, count));
      return new Reading(started, 0);
    }
    if (Duration.between(latest.at(), now).compareTo(MIN_WINDOW) >= 0) {
      previous.put(model, latest);
      current.put(model, new Reading(now, count));
      return latest;
    }
    return previous.getOrDefault(model, new Reading(started, 0));
  }

  /** The smallest bucket bound holding at least {@code share} of the requests, in ms. */
  private static Double percentile(HistogramSnapshot snapshot, double share) {
    if (snapshot.count() == 0) {
      return null;
    }
    double needed = snapshot.count() * share;
    for (CountAtBucket bucket : snapshot.histogramCounts()) {
      if (bucket.count() >= needed) {
        return bucket.bucket(java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    }
    return snapshot.max(java.util.concurrent.TimeUnit.MILLISECONDS);
  }
}
