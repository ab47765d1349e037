package dev.modelhub.serving.internal;

import ai.djl.translate.TranslateException;
import dev.modelhub.common.Backoff;
import dev.modelhub.common.DaemonThreads;
import dev.modelhub.common.FileTrees;
import dev.modelhub.common.Memory;
import dev.modelhub.common.SandboxedJvm;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.Tensor;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EngineHost} process, the node's side: the model versions loaded in it (one with {@code
 * isolation: model}, every version of an engine with {@code engine}), each an {@link
 * EngineInstance} whose sessions are connections to the host. When the host ends on its own (a
 * crash in native code, a kill, a limit), running calls answer {@link EngineStopped}, each model's
 * {@link Listener} hears of it, and the host is started again with backoff and its models loaded
 * again; calls made meanwhile answer {@link EngineStopped} at once. A crash counts against the
 * model whose call faulted: the one the JVM's crash report names (session threads carry their
 * model's key), else the host's only model; in a shared host, no one else.
 */
final class HostEngine implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HostEngine.class);

  /** The JVM's crash report names the thread that faulted: a session thread names its model. */
  private static final Pattern FAULTING_THREAD =
      Pattern.compile(
          "Current thread \\([^)]*\\):\\s+JavaThread \""
              + Pattern.quote(EngineHost.SESSION_THREAD)
              + "([^\"]+)\"");

  /** Per host: the native fault it reported, complete once its output has been read to the end. */
  private final Map<Process, CompletableFuture<String>> faults = new ConcurrentHashMap<>();

  /** Hears of crashes of one model's host (the reconciler: metrics, slot state, roll-back). */
  interface Listener {
    void crashed(String reason, int crashesInWindow);
  }

  private final HostSpec spec;
  private final Path workDir;
  private final List<Path> readable;
  private final boolean dedicated;
  private final HostLauncher launcher;
  private final ServingProperties.Host settings;
  private final Duration startTimeout;
  private final ScheduledExecutorService restarts;
  private final Clock clock;
  private final Backoff backoff;
  private final long maxOutputElements;
  private final Map<String, HostedModel> models = new ConcurrentHashMap<>();
  private final AtomicLong keys = new AtomicLong();
  private volatile Process process;
  private volatile int generation;
  private volatile boolean closed;
  private volatile String lastExit;
  private int restartsInRow;

  /**
   * @param readable what the host may read: its model's folder, or the artifact cache
   * @param dedicated whether the host holds one model and ends when that model is closed
   */
  HostEngine(
      HostSpec spec,
      Path workDir,
      List<Path> readable,
      boolean dedicated,
      HostLauncher launcher,
      ServingProperties.Host settings,
      Duration startTimeout,
      ScheduledExecutorService restarts,
      Clock clock) {
    this.spec = spec;
    this.workDir = workDir;
    this.readable = readable;
    this.dedicated = dedicated;
    this.launcher = launcher;
    this.settings = settings;
    this.startTimeout = startTimeout;
    this.restarts = restarts;
    this.clock = clock;
    this.backoff = new Backoff(settings.restartMin(), settings.restartMax());
    this.maxOutputElements = Math.min(Integer.MAX_VALUE / Long.BYTES, 16 * spec.maxElements());
  }

  /** Starts the host and waits until it listens; cleans up if it cannot. */
  HostEngine start() throws Exception {
    try {
      launch();
    } catch (Exception | Error e) {
      close();
      throw e;
    }
    return this;
  }

  /**
   * The resident memory of the host's processes, as measured at most a second ago: metrics scrapes
   * read it for every loaded version, and a measurement walks the process table.
   */
  long resident() {
    long now = System.nanoTime();
    if (residentAt == 0 || now - residentAt > 1_000_000_000L) {
      residentValue = measureResident();
      residentAt = now;
    }
    return residentValue;
  }

  private volatile long residentAt;
  private volatile long residentValue = -1;

  /** The resident memory of the host's processes (the sandbox's and the JVM's), or -1. */
  private long measureResident() {
    Process running = process;
    if (running == null) {
      return -1;
    }
    long total = Memory.resident(running.pid());
    if (total < 0) {
      return -1;
    }
    for (ProcessHandle child : running.descendants().toList()) {
      total += Math.max(0, Memory.resident(child.pid()));
    }
    return total;
  }

  boolean isClosed() {
    return closed;
  }

  private void launch() throws Exception {
    // A crash report left by an earlier process must not be read as this one's.
    Files.deleteIfExists(workDir.resolve("hs_err.log"));
    Process started = launcher.start(spec, workDir, readable);
    CompletableFuture<String> ready = new CompletableFuture<>();
    faults.put(started, new CompletableFuture<>());
    DaemonThreads.start("modelhub-host-output", () -> relay(started, ready));
    String outcome;
    try {
      outcome = ready.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      started.destroyForcibly();
      throw new IllegalStateException(
          "the engine host did not start within " + startTimeout.toSeconds() + " s");
    } catch (Exception e) {
      started.destroyForcibly();
      throw e;
    }
    if (!"READY".equals(outcome)) {
      started.destroyForcibly();
      throw new IllegalStateException(outcome.replaceFirst("^FAILED ", ""));
    }
    int current;
    synchronized (this) {
      if (closed) {
        started.destroyForcibly();
        return;
      }
      process = started;
      current = ++generation;
    }
    started.onExit().thenAccept(this::exited);
    // After a restart: the models it held are loaded again (sessions wait for their model).
    for (HostedModel model : models.values()) {
      try {
        model.load(current);
      } catch (IOException e) {
        return; // the host ended again: exited() counts it and restarts
      } catch (IllegalStateException refused) {
        log.warn("{}: not loaded again after a restart: {}", model.name, refused.getMessage());
        if (dedicated) {
          // a host of one model is of no use without it: ended, it is restarted with backoff
          // (exited() takes it from here; a kill is not counted as the model's crash)
          started.destroyForcibly();
          return;
        }
      }
    }
  }

  /**
   * Loads a checked artifact into this host and answers it as an engine instance; if the host ends
   * while loading, the load fails with {@link EngineStopped}.
   */
  EngineInstance add(
      String name, ModelFormat format, Path artifact, ModelSignature signature, Listener listener)
      throws IOException {
    HostedModel model =
        new HostedModel(
            name + "#" + keys.incrementAndGet(), name, format, artifact, signature, listener);
    models.put(model.key, model);
    try {
      int current = generation;
      if (closed || process == null) {
        throw new IOException("the engine host is being restarted");
      }
      long before = measureResident();
      model.load(current);
      model.grew = before < 0 ? -1 : Math.max(0, measureResident() - before);
      return model;
    } catch (IOException e) {
      models.remove(model.key);
      throw stopped(name, process);
    } catch (RuntimeException e) {
      models.remove(model.key);
      throw e;
    }
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
    String reason = describe(ended);
    String faulted = faultingModel();
    List<Runnable> notices = new ArrayList<>();
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
      boolean countable = !reason.contains("SIGKILL") && !reason.contains("SIGTERM");
      int most = 0;
      for (HostedModel model : models.values()) {
        boolean culprit =
            faulted != null
                ? model.key.equals(faulted)
                // without a report naming the call (an abort, a fault on an engine thread), a
                // shared host blames no one: a neighbour's running call proves nothing
                : models.size() == 1;
        int count = model.crashed(now, countable && culprit);
        most = Math.max(most, count);
        String told = culprit || models.size() == 1 ? reason : reason + ", in another model's call";
        notices.add(() -> model.listener.crashed(told, count));
      }
      restartsInRow = Math.max(1, most); // the backoff grows with recent crashes only
    }
    log.warn(
        "{}: engine host stopped ({}{}); restarting",
        spec.name(),
        reason,
        faulted == null ? "" : ", in a call of " + faulted);
    for (Runnable notice : notices) {
      try {
        notice.run();
      } catch (RuntimeException e) {
        log.warn("{}: crash listener failed: {}", spec.name(), e.toString());
      }
    }
    scheduleRestart();
  }

  /**
   * The key of the model whose call faulted, from the JVM's crash report in the host's folder (read
   * as a regular file, its start only), or null when there is none (an abort, a kill, an exit).
   */
  private String faultingModel() {
    Path report = workDir.resolve("hs_err.log");
    if (!Files.isRegularFile(report, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    try (InputStream in = Files.newInputStream(report, LinkOption.NOFOLLOW_LINKS)) {
      Matcher thread =
          FAULTING_THREAD.matcher(new String(in.readNBytes(65536), StandardCharsets.UTF_8));
      return thread.find() ? thread.group(1) : null;
    } catch (IOException e) {
      return null;
    }
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

  private EngineStopped stopped(String name, Process host) {
    String exit = null;
    if (host != null) {
      try {
        // The connection breaks as the process dies; its exit status follows a moment later.
        if (host.waitFor(2, TimeUnit.SECONDS)) {
          exit = faults.containsKey(host) ? describe(host) : null;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (exit == null) {
      exit = lastExit; // exited() has handled the host: it set this before forgetting the host
    }
    return new EngineStopped(
        "The engine running "
            + name
            + " stopped"
            + (exit == null ? "" : " (" + exit + ")")
            + "; it is being restarted.",
        exit);
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

  /** A new connection to the host. */
  private SocketChannel connectToHost() throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(spec.socket()));
      return channel;
    } catch (IOException e) {
      channel.close();
      throw e;
    }
  }

  /** A model version loaded in the host. */
  private final class HostedModel implements EngineInstance {
    final String key;
    final String name;
    private final ModelFormat format;
    private final Path artifact;
    private final ModelSignature signature;
    final Listener listener;
    private final Deque<Instant> crashes = new ArrayDeque<>();

    /** The host generation this model is loaded in. */
    private volatile int loadedIn;

    private volatile boolean unloaded;

    /** What loading it added to a shared host's resident memory. */
    private volatile long grew = -1;

    @Override
    public long residentBytes() {
      return dedicated ? resident() : grew;
    }

    HostedModel(
        String key,
        String name,
        ModelFormat format,
        Path artifact,
        ModelSignature signature,
        Listener listener) {
      this.key = key;
      this.name = name;
      this.format = format;
      this.artifact = artifact;
      this.signature = signature;
      this.listener = listener;
    }

    /** Loads this model into host generation {@code into}; refusals throw IllegalStateException. */
    void load(int into) throws IOException {
      try (SocketChannel channel = connectToHost()) {
        DataOutputStream out =
            new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
        out.writeByte(EngineHost.LOAD);
        out.writeUTF(key);
        out.writeUTF(format.name());
        out.writeUTF(artifact.toString());
        EngineHost.writeSpecs(out, signature.inputs());
        EngineHost.writeSpecs(out, signature.outputs());
        out.flush();
        DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
        if (in.readByte() != TensorFrames.OK) {
          throw new IllegalStateException(in.readUTF());
        }
      }
      loadedIn = into;
    }

    /** Records a crash of its host; answers the crashes of its own within the window. */
    int crashed(Instant now, boolean counted) {
      if (counted) {
        crashes.addLast(now);
      }
      while (!crashes.isEmpty()
          && crashes.peekFirst().isBefore(now.minus(settings.crashWindow()))) {
        crashes.removeFirst();
      }
      return crashes.size();
    }

    @Override
    public EngineSession newSession() {
      return new HostSession(this);
    }

    @Override
    public void close() {
      if (unloaded) {
        return;
      }
      unloaded = true;
      models.remove(key);
      if (dedicated) {
        HostEngine.this.close();
        return;
      }
      Process running = process;
      if (running == null || !running.isAlive()) {
        return;
      }
      try (SocketChannel channel = connectToHost()) {
        DataOutputStream out = new DataOutputStream(Channels.newOutputStream(channel));
        out.writeByte(EngineHost.UNLOAD);
        out.writeUTF(key);
        out.flush();
        new DataInputStream(Channels.newInputStream(channel)).readByte();
      } catch (IOException e) {
        // the host ended: nothing of this model is left in it
      }
    }
  }

  /** One connection to the host for one model; reconnects to a restarted host on its next call. */
  private final class HostSession implements EngineSession {
    private final HostedModel model;
    private volatile SocketChannel channel;
    private Process connectedProcess;
    private int connectedTo;
    private DataInputStream in;
    private DataOutputStream out;

    HostSession(HostedModel model) {
      this.model = model;
    }

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
        throw stopped(model.name, connectedProcess);
      }
    }

    private void connect() throws IOException {
      if (channel != null && connectedTo == generation) {
        return;
      }
      disconnect();
      Process current = process;
      int target = generation;
      if (closed
          || model.unloaded
          || current == null
          || !current.isAlive()
          || model.loadedIn != target) {
        throw new IOException("no host");
      }
      channel = connectToHost();
      connectedTo = target;
      connectedProcess = current;
      in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 65536));
      out =
          new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 65536));
      out.writeByte(EngineHost.OPEN);
      out.writeUTF(model.key);
      out.flush();
      if (in.readByte() != TensorFrames.OK) {
        throw new IOException(in.readUTF());
      }
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
