package dev.modelhub.security.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A small failure budget per client address (a token bucket): each refused request spends one unit,
 * one unit comes back per {@code refill}, and an address with none left is slowed down until one
 * returns. Held per node in memory; the map is bounded, so a flood of addresses cannot grow it
 * without limit.
 */
public class FailureBudget {

  private static final int MAX_ADDRESSES = 100_000;

  private static final class Bucket {
    double tokens;
    long updatedNanos;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.updatedNanos = now;
    }
  }

  private final int capacity;
  private final long refillNanos;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  public FailureBudget(int capacity, Duration refill, LongSupplier nanoTime) {
    this.capacity = Math.max(1, capacity);
    this.refillNanos = Math.max(1, refill.toNanos());
    this.nanoTime = nanoTime;
  }

  /** Zero when {@code address} may go on, else how long until one failure has come back. */
  public Duration waitFor(String address) {
    Bucket bucket = buckets.get(address);
    if (bucket == null) {
      return Duration.ZERO;
    }
    synchronized (bucket) {
      refill(bucket);
      if (bucket.tokens >= 1) {
        return Duration.ZERO;
      }
      return Duration.ofNanos((long) ((1 - bucket.tokens) * refillNanos));
    }
  }

  /** Spends one failure of {@code address}'s budget; true when that used up the last of it. */
  public boolean spend(String address) {
    if (buckets.size() >= MAX_ADDRESSES) {
      buckets.entrySet().removeIf(e -> full(e.getValue()));
      // Still full (a flood of addresses): forget some rather than grow without bound.
      var keys = buckets.keySet().iterator();
      while (buckets.size() >= MAX_ADDRESSES * 9 / 10 && keys.hasNext()) {
        keys.next();
        keys.remove();
      }
    }
    Bucket bucket =
        buckets.computeIfAbsent(address, a -> new Bucket(capacity, nanoTime.getAsLong()));
    synchronized (bucket) {
      refill(bucket);
      bucket.tokens = Math.max(0, bucket.tokens - 1);
      return bucket.tokens < 1;
    }
  }

  private boolean full(Bucket bucket) {
    synchronized (bucket) {
      refill(bucket);
      return bucket.tokens >= capacity;
    }
  }

  private void refill(Bucket bucket) {
    long now = nanoTime.getAsLong();
    bucket.tokens =
        Math.min(capacity, bucket.tokens + (now - bucket.updatedNanos) / (double) refillNanos);
    bucket.updatedNanos = now;
  }
}
