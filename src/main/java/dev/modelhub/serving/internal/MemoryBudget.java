package dev.modelhub.serving.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The memory this node lets its loaded versions take ({@code modelhub.serving.memory-budget}): each
 * load reserves its estimate before the engine reads a byte, and a load that would go over the
 * budget is refused with the numbers instead of letting the kernel end the node. A version keeps
 * its reservation until it has closed, so during a switch the old and the new version are both
 * counted, as both are loaded.
 */
public final class MemoryBudget {

  private final long budget;
  private final Map<Reservation, Boolean> held = new ConcurrentHashMap<>();

  /**
   * @param budget bytes; 0 or less is no limit
   */
  public MemoryBudget(long budget) {
    this.budget = budget;
  }

  public long budget() {
    return budget;
  }

  /** Bytes reserved by loaded and loading versions. */
  public synchronized long reserved() {
    return held.keySet().stream().mapToLong(r -> r.bytes).sum();
  }

  /**
   * Reserves {@code bytes} for loading {@code name}.
   *
   * @throws MemoryBudgetExceeded when that would exceed the budget
   */
  public synchronized Reservation reserve(String name, long bytes) {
    long inUse = reserved();
    if (budget > 0 && inUse + bytes > budget) {
      throw new MemoryBudgetExceeded(
          name
              + " needs about "
              + mb(bytes)
              + " MB of memory to load; this node's budget is "
              + mb(budget)
              + " MB (modelhub.serving.memory-budget) and "
              + mb(inUse)
              + " MB are held by "
              + held.size()
              + " loaded or loading version(s)");
    }
    Reservation reservation = new Reservation(bytes);
    held.put(reservation, true);
    return reservation;
  }

  private static long mb(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  /** One version's share; released once when the version has closed. */
  public final class Reservation {
    private volatile long bytes;

    private Reservation(long bytes) {
      this.bytes = bytes;
    }

    /** Replaces the estimate with what the loaded version was measured to hold, if larger. */
    public void measured(long resident) {
      synchronized (MemoryBudget.this) {
        bytes = Math.max(bytes, resident);
      }
    }

    public void release() {
      held.remove(this);
    }
  }

  /** A load that would exceed the node's memory budget. */
  public static final class MemoryBudgetExceeded extends IllegalStateException {
    MemoryBudgetExceeded(String message) {
      super(message);
    }
  }
}
