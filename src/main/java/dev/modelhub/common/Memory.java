package dev.modelhub.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's and a process's memory, as Linux's /proc tells them (-1 where it does not). */
public final class Memory {

  private Memory() {}

  /**
   * Memory available for new allocations without swapping (MemAvailable), or what is left of the
   * container's limit (cgroup v2 {@code memory.max} less {@code memory.current}) when that is less;
   * in bytes.
   */
  public static long available() {
    long available = field(Path.of("/proc/meminfo"), "MemAvailable:");
    long limit = number(Path.of("/sys/fs/cgroup/memory.max"));
    long used = number(Path.of("/sys/fs/cgroup/memory.current"));
    if (limit > 0 && used >= 0) {
      long left = Math.max(0, limit - used);
      if (available < 0 || left < available) {
        available = left;
      }
    }
    return available;
  }

  /** A file holding one number (cgroup files), or -1 ("max", absent, unreadable). */
  private static long number(Path file) {
    try {
      String value = Files.readString(file).trim();
      return value.matches("[0-9]{1,18}") ? Long.parseLong(value) : -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * The memory this process may use: the machine's (MemTotal), or its container's limit (cgroup v2
   * {@code memory.max}, v1 {@code memory.limit_in_bytes}) when that is lower; in bytes.
   */
  public static long total() {
    long total = field(Path.of("/proc/meminfo"), "MemTotal:");
    for (Path limit :
        new Path[] {
          Path.of("/sys/fs/cgroup/memory.max"),
          Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes")
        }) {
      long bytes = number(limit);
      if (bytes > 0 && (total < 0 || bytes < total)) {
        total = bytes;
      }
    }
    return total;
  }

  /** A process's resident set (VmRSS), in bytes. */
  public static long resident(long pid) {
    return field(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:");
  }

  /** A process's peak resident set (VmHWM), in bytes. */
  public static long peakResident(long pid) {
    return field(Path.of("/proc", Long.toString(pid), "status"), "VmHWM:");
  }

  /** A "Name: 1234 kB" line's value in bytes. */
  private static long field(Path file, String name) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(name)) {
          return Long.parseLong(line.substring(name.length()).replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process ended
    }
    return -1;
  }
}
