package dev.modelhub.common;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads Modelhub starts itself (loads, drains, engine calls, job runners, listeners): named after
 * what they do, so a thread dump reads, and daemons, so none of them keeps a stopping JVM alive.
 */
public final class DaemonThreads {

  private DaemonThreads() {}

  /** Threads named {@code prefix-1}, {@code prefix-2}, … */
  public static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return task -> daemon(task, prefix + "-" + n.incrementAndGet());
  }

  /** One thread named {@code name}, started. */
  public static Thread start(String name, Runnable task) {
    Thread thread = daemon(task, name);
    thread.start();
    return thread;
  }

  private static Thread daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }
}
