package dev.modelhub.serving.internal;

import ai.djl.translate.TranslateException;
import dev.modelhub.common.Backoff;
import dev.modelhub.common.DaemonThreads;
import dev.modelhub.common.FileTrees;
import dev.modelhub.common.SandboxedJvm;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.Tensor;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model version running in an {@link EngineHost} process: the node's side. Each session is a
 * connection to the host. When the host ends on its own (a crash in native code, a kill, a limit),
 * running calls answer {@link EngineStopped}, the {@link Listener} hears of it, and the host is
 * started again with backoff; calls made meanwhile answer {@link EngineStopped} at once.
 */
final class HostEngine implements EngineInstance {

  private static final Logger log = LoggerFactory.getLogger(HostEngine.class);

  /** Per host: the native fault it reported, complete once its output has been read to the end. */
  private final Map<Process, CompletableFuture<String>> faults = new ConcurrentHashMap<>();

  /** Hears of crashes (the reconciler: metrics, slot state, rolling back a crashing version). */
  interface Listener {
    void crashed(HostEngine host, String reason, int crashesInWindow);
  }

  private final HostSpec spec;
  private final Path workDir;
  private final HostLauncher launcher;
  private final ServingProperties.Host settings;
  private final Duration startTimeout;
  private final Listener listener;
  private final ScheduledExecutorService restarts;
  private final Clock clock;
  private final Backoff backoff;
  private final Deque<Instant> crashes = new ArrayDeque<>();
  private final long maxOutputElements;
  private volatile Process process;
  private volatile int generation;
  private volatile boolean closed;
  private volatile String lastExit;
  private int restartsInRow;

  HostEngine(
      HostSpec spec,
      Path workDir,
      HostLauncher launcher,
      ServingProperties.Host settings,
      Duration startTimeout,
      Listener listener,
      ScheduledExecutorService restarts,
      Clock clock) {
    this.spec = spec;
    this.workDir = workDir;
    this.launcher = launcher;
    this.settings = settings;
    this.startTimeout = startTimeout;
    this.listener = listener;
    this.restarts = restarts;
    this.clock = clock;
    this.backoff = new Backoff(settings.restartMin(), settings.restartMax());
    this.maxOutputElements = Math.min(Integer.MAX_VALUE / Long.BYTES, 16 * spec.maxElements());
  }

  /** Starts the host and waits until it has loaded the model; cleans up if it cannot. */
  HostEngine start() throws Exception {
    try {
      launch();
    } catch (Exception | Error e) {
      close();
      throw e;
    }
    return this;
  }

  private void launch() throws Exception {
    Process started = launcher.start(spec, workDir);
    CompletableFuture<String> ready = new CompletableFuture<>();
    faults.put(started, new CompletableFuture<>());
    DaemonThreads.start("modelhub-host-output", () -> relay(started, ready));
    String outcome;
    try {
      outcome = ready.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      started.destroyForcibly();
      throw new IllegalStateException(
          "the engine host did not load the model within " + startTimeout.toSeconds() + " s");
    } catch (Exception e) {
      started.destroyForcibly();
      throw e;
    }
    if (!"READY".equals(outcome)) {
      started.destroyForcibly();
      throw new IllegalStateException(outcome.replaceFirst("^FAILED ", ""));
    }
    synchronized (this) {
      if (closed) {
        started.destroyForcibly();
        return;
      }
      process = started;
      generation++;
    }
    started.onExit().thenAccept(this::exited);
  }

  /** Relays the host's output to this log, and reports its READY or FAILED line. */
  private void relay(Process host, CompletableFuture<String> ready) {
    String fault = null;
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = boundedLine(lines)) != null) {
        String reported = SandboxedJvm.nativeFault(line);
        if (reported != null) {
          fault = reported;
        }
        if (line.startsWith(EngineHost.MARKER)) {
          ready.complete(line.substring(EngineHost.MARKER.length()));
        } else if (!line.isBlank()) {
          log.info("[host {}] {}", spec.name(), line);
        }
      }
    } catch (IOException e) {
      // the host ended
    }
    faults.get(host).complete(fault);
    ready.complete(
        "FAILED the engine host ended while loading (" + SandboxedJvm.exitOf(host) + ")");
  }

  /**
   * A line of at most 8 KiB (the rest of a longer one is skipped): a host's output is not trusted.
   */
  private static String boundedLine(BufferedReader in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (line.length() < 8192) {
        line.append((char) c);
      }
    }
    return c < 0 && line.isEmpty() ? null : line.toString();
  }

  private void exited(Process ended) {
    int crashesInWindow;
    String reason = describe(ended);
    synchronized (this) {
      if (closed || ended != process) {
        faults.remove(ended);
        return;
      }
      process = null;
      lastExit = reason;
      faults.remove(ended);
      Instant now = clock.instant();
      // A kill (the OOM killer, an operator) is counted and restarted, but only faults of the
      // model's own count towards CRASHING: a caller sending memory-heavy inputs must not be able
      // to roll production back.
      if (!reason.contains("SIGKILL") && !reason.contains("SIGTERM")) {
        crashes.addLast(now);
      }
      while (!crashes.isEmpty()
          && crashes.peekFirst().isBefore(now.minus(settings.crashWindow()))) {
        crashes.removeFirst();
      }
      crashesInWindow = crashes.size();
      restartsInRow = Math.max(1, crashesInWindow); // the backoff grows with recent crashes only
    }
    log.warn("{}: engine host stopped ({}); restarting", spec.name(), reason);
    try {
      listener.crashed(this, reason, crashesInWindow);
    } catch (RuntimeException e) {
      log.warn("{}: crash listener failed: {}", spec.name(), e.toString());
    }
    scheduleRestart();
  }

  private void scheduleRestart() {
    Duration wait = backoff.after(restartsInRow);
    // The scheduler only keeps time: a start waits up to the load timeout for its host, and one
    // model's slow start must not hold up another's restart.
    restarts.schedule(
        () -> DaemonThreads.start("modelhub-host-restart", this::restart),
        wait.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void restart() {
    if (closed) {
      return;
    }
    try {
      launch();
      log.info("{}: engine host restarted", spec.name());
    } catch (Exception e) {
      synchronized (this) {
        restartsInRow++;
      }
      log.warn("{}: engine host restart failed: {}", spec.name(), e.getMessage());
      scheduleRestart();
    }
  }

  /** How a host ended: the native fault it reported, else its exit status or signal. */
  private String describe(Process ended) {
    String fault = null;
    CompletableFuture<String> reported = faults.get(ended);
    try {
      fault = reported == null ? null : reported.get(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // the output was not read to its end in time: the exit status says what it can
    }
    return fault != null ? fault + " in native code" : SandboxedJvm.exitOf(ended);
  }

  @Override
  public EngineSession newSession() {
    return new HostSession();
  }

  private EngineStopped stopped(Process host) {
    String exit = lastExit;
    if (host != null) {
      try {
        // The connection breaks as the process dies; its exit status follows a moment later.
        if (host.waitFor(2, TimeUnit.SECONDS)) {
          exit = faults.containsKey(host) ? describe(host) : exit;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return new EngineStopped(
        "The engine running "
            + spec.name()
            + " stopped"
            + (exit == null ? "" : " (" + exit + ")")
            + "; it is being restarted.");
  }

  @Override
  public void close() {
    Process running;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      running = process;
      process = null;
    }
    if (running != null) {
      List<ProcessHandle> tree = running.descendants().toList();
      running.destroy();
      try {
        if (!running.waitFor(2, TimeUnit.SECONDS)) {
          running.destroyForcibly();
        }
        tree.forEach(ProcessHandle::destroyForcibly);
        running.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        running.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    // Only once nothing of the host runs can it no longer change its folder under the delete.
    FileTrees.deleteQuietly(workDir);
  }

  /** One connection to the host; reconnects to a restarted host on its next call. */
  private final class HostSession implements EngineSession {
    private volatile SocketChannel channel;
    private Process connectedProcess;
    private int connectedTo;
    private DataInputStream in;
    private DataOutputStream out;

    @Override
    public synchronized List<Tensor> call(List<Tensor> inputs) throws TranslateException {
      try {
        connect();
        TensorFrames.write(out, inputs);
        out.flush();
        byte status = in.readByte();
        if (status == TensorFrames.OK) {
          return TensorFrames.read(in, maxOutputElements);
        }
        throw new TranslateException(in.readUTF());
      } catch (IOException | RuntimeException e) {
        // A broken connection, or an answer that is not a frame: either way the connection's
        // position is lost, so it is dropped.
        disconnect();
        throw stopped(connectedProcess);
      }
    }

    private void connect() throws IOException {
      if (channel != null && connectedTo == generation) {
        return;
      }
      disconnect();
      Process current = process;
      if (closed || current == null || !current.isAlive()) {
        throw new IOException("no host");
      }
      int target = generation;
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(spec.socket()));
      connectedTo = target;
      connectedProcess = current;
      in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 65536));
      out =
          new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 65536));
    }

    private void disconnect() {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException e) {
          // closing a broken connection
        }
        channel = null;
      }
    }

    @Override
    public void close() {
      SocketChannel open = channel;
      if (open != null) {
        try {
          open.close(); // also ends a call blocked on it
        } catch (IOException e) {
          // already broken
        }
      }
    }

    @Override
    public boolean abortable() {
      return true;
    }
  }
}
