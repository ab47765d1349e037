package dev.modelhub.serving.internal;

import dev.modelhub.common.DaemonThreads;
import dev.modelhub.common.Memory;
import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.InvalidArtifactException;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelInspector;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.registry.AliasTarget;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Loads a cached artifact into its engine (ONNX Runtime, PyTorch or TensorFlow through DJL) — in an
 * engine host process of its own ({@code isolation: model}) or in this process ({@code none}) —
 * creates the predictor pool and warms it up with inputs generated from the signature, so that the
 * first real request is not the slow one.
 */
public class ModelLoader implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);

  private final ServingProperties properties;
  private final ModelInspector inspector;
  private final ExecutorService engineThreads =
      Executors.newCachedThreadPool(DaemonThreads.named("modelhub-engine"));
  private final ScheduledExecutorService hostRestarts =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("modelhub-host-restart"));
  private final HostLauncher launcher;
  private HostLauncher validationLauncher;
  private final Map<ModelFormat, HostEngine> sharedHosts = new EnumMap<>(ModelFormat.class);
  private final Clock clock;
  private final ServingMetrics metrics;
  private final WarmUps warmUps;
  private volatile Crashes crashes = (key, reason, count) -> {};

  /** Where a version's warm-up samples come from (the registry), by model and version. */
  public interface WarmupSamples {
    Optional<JsonNode> of(String model, int version);
  }

  /** Hears that the engine host of a loaded version ended on its own. */
  public interface Crashes {
    void crashed(VersionKey key, String reason, int crashesInWindow);
  }

  /** Engine calls run on threads of their own, so that a request can give up on one that hangs. */
  public ModelLoader(
      ServingProperties properties,
      ModelInspector inspector,
      ServingMetrics metrics,
      WarmupSamples warmupSamples,
      Clock clock) {
    this.properties = properties;
    this.metrics = metrics;
    this.warmUps = new WarmUps(properties, metrics, warmupSamples);
    this.inspector = inspector;
    this.clock = clock;
    this.launcher =
        properties.isolation() == ServingProperties.Isolation.NONE
            ? null
            : new HostLauncher(properties);
  }

  /** Where engine-host crashes are reported (the reconciler). */
  public void onCrash(Crashes listener) {
    this.crashes = listener;
  }

  /**
   * At shutdown: waits up to drain-timeout for engine calls still running (a request past its
   * deadline, a warm-up), since freeing the engine under a running call — which the process exit
   * does — crashes it.
   */
  @Override
  public void close() {
    hostRestarts.shutdownNow();
    synchronized (this) {
      sharedHosts.values().forEach(HostEngine::close);
    }
    engineThreads.shutdown();
    try {
      if (!engineThreads.awaitTermination(
          properties.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("Engine calls still running after drain-timeout; the process exit ends them");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Batches a loaded version's requests as its registry entry says. */
  private void batch(LoadedVersion loaded, AliasTarget target) {
    ExecutorService runner =
        Executors.newCachedThreadPool(
            runnable -> {
              Thread thread = new Thread(runnable, "batch-" + target.model());
              thread.setDaemon(true);
              return thread;
            });
    loaded.batchWith(
        new DynamicBatcher(
            target.model() + " v" + target.version(),
            target.batching(),
            properties.maxTensorElements(),
            loaded::predict,
            runner,
            metrics.batchSize(target.model()),
            metrics.queueDelay(target.model())),
        target.batching());
    loaded.onClose(runner::shutdown);
  }

  public LoadedVersion load(AliasTarget target, Path localDir) throws Exception {
    checkDatatypes(target);
    EngineBootstrap.prepare(properties);
    Path artifact = checkedArtifact(target, localDir);
    String name = target.model() + " v" + target.version();
    EngineInstance engine =
        launcher == null ? inProcess(target, name, artifact) : startHost(target, name, artifact);
    List<EngineSession> predictors = new ArrayList<>();
    LoadedVersion loaded = null;
    try {
      for (int i = 0; i < properties.predictors(); i++) {
        predictors.add(engine.newSession());
      }
      loaded =
          new LoadedVersion(
              target.model(),
              target.version(),
              target.digest(),
              target.format(),
              target.signature(),
              engine,
              predictors,
              engineThreads,
              clock.instant());
      loaded.pipeWith(target.pipeline());
      warmUps.run(loaded, target);
      if (target.batching() != null) {
        batch(loaded, target);
      }
      return loaded;
    } catch (Exception | Error e) {
      if (loaded != null) {
        loaded.discard(); // a warm-up call may still run in the engine: never free under it
      } else {
        predictors.forEach(EngineSession::close);
        engine.close();
      }
      throw e;
    }
  }

  /** Loads in this process, measuring what the load added to its resident memory. */
  private EngineInstance inProcess(AliasTarget target, String name, Path artifact)
      throws Exception {
    long pid = ProcessHandle.current().pid();
    long before = Memory.resident(pid);
    EngineInstance engine =
        DjlEngine.load(
            name,
            target.format(),
            artifact,
            target.signature(),
            properties.intraOpThreads(),
            properties.maxTensorElements());
    long grew = before < 0 ? -1 : Math.max(0, Memory.resident(pid) - before);
    return new EngineInstance() {
      @Override
      public EngineSession newSession() throws IOException {
        return engine.newSession();
      }

      @Override
      public long residentBytes() {
        return grew;
      }

      @Override
      public void close() {
        engine.close();
      }
    };
  }

  /**
   * A validation load: loads {@code target} from {@code localDir} as serving would — checked first,
   * then in an engine host of its own whatever the isolation (a model being checked never shares a
   * host with served ones, and never runs in this process: an upload is not a promotion) — and
   * unloads it again, without warm-up. A load past {@code timeout} is ended.
   *
   * @throws Unservable when the engine refuses it or crashes on it (a fault in native code)
   * @throws Exception when the check could not run or tell (a host that did not start, a load past
   *     the timeout or killed from outside, which the node's load may yet not meet)
   */
  public void validate(AliasTarget target, Path localDir, Duration timeout) throws Exception {
    Path artifact;
    try {
      checkDatatypes(target);
      artifact = checkedArtifact(target, localDir);
    } catch (IllegalArgumentException | InvalidArtifactException refused) {
      throw new Unservable(refused.getMessage());
    }
    EngineBootstrap.prepare(properties);
    String name = target.model() + " v" + target.version() + " (validation)";
    HostEngine host = newHost(name, List.of(folderOf(artifact)), true, validationLauncher());
    AtomicBoolean overran = new AtomicBoolean();
    ScheduledFuture<?> deadline = null;
    try {
      deadline =
          hostRestarts.schedule(
              () -> {
                overran.set(true);
                host.close();
              },
              timeout.toMillis(),
              TimeUnit.MILLISECONDS);
      host.add(name, target.format(), artifact, target.signature(), (reason, count) -> {}).close();
    } catch (Exception e) {
      if (overran.get()) {
        throw new IllegalStateException(
            "it did not load within " + timeout + " (modelhub.serving.load-timeout)");
      }
      if (e instanceof EngineStopped stopped) {
        if (stopped.exit() == null || !stopped.exit().contains("native code")) {
          // killed from outside (the kernel's OOM killer, an operator): says nothing of the model
          throw new IllegalStateException("the validation host ended: " + stopped.exit());
        }
        throw new Unservable("the engine crashed while loading it (" + stopped.exit() + ")");
      }
      throw new Unservable(LoadErrors.describe(e));
    } finally {
      if (deadline != null) {
        deadline.cancel(false);
      }
      host.close();
    }
  }

  /** A model loaded for a job, in an engine host of its own. */
  public static final class JobModel implements AutoCloseable {
    private final HostEngine host;
    private final EngineInstance engine;
    private final EngineSession session;

    private JobModel(HostEngine host, EngineInstance engine, EngineSession session) {
      this.host = host;
      this.engine = engine;
      this.session = session;
    }

    /** One call; a job makes them one at a time. */
    public synchronized List<Tensor> call(List<Tensor> inputs) throws Exception {
      return session.call(inputs);
    }

    /** Ends the host at once: a call running in it fails. */
    @Override
    public void close() {
      host.close();
    }
  }

  /**
   * Loads a registered version from {@code localDir} (as the artifact cache holds it) for a job:
   * checked as serving checks it, in an engine host of its own whatever the isolation.
   */
  public JobModel openForJob(AliasTarget target, Path localDir) throws Exception {
    checkDatatypes(target);
    Path artifact = checkedArtifact(target, localDir);
    return openChecked(
        target.model() + " v" + target.version() + " (job)",
        target.format(),
        artifact,
        target.signature());
  }

  /** Loads an ONNX file a job wrote (no external data), checked first, for that job. */
  public JobModel openOnnxForJob(String name, Path file, ModelSignature signature)
      throws Exception {
    inspector.checkOnnxBeforeLoading(file, null);
    return openChecked(name, ModelFormat.ONNX, file, signature);
  }

  private JobModel openChecked(
      String name, ModelFormat format, Path artifact, ModelSignature signature) throws Exception {
    EngineBootstrap.prepare(properties);
    HostEngine host = newHost(name, List.of(folderOf(artifact)), true, validationLauncher());
    try {
      EngineInstance engine = host.add(name, format, artifact, signature, (reason, count) -> {});
      return new JobModel(host, engine, engine.newSession());
    } catch (Exception | Error e) {
      host.close();
      throw e;
    }
  }

  /** Engine hosts for validation loads: those of serving, or with isolation none, its own. */
  private synchronized HostLauncher validationLauncher() {
    if (validationLauncher == null) {
      validationLauncher = launcher != null ? launcher : new HostLauncher(properties);
    }
    return validationLauncher;
  }

  /** The engine refused a version at its validation load; the message says why. */
  public static final class Unservable extends Exception {
    Unservable(String message) {
      super(message);
    }
  }

  /** An ONNX file's folder holds its external data; a SavedModel is a folder. */
  private static Path folderOf(Path artifact) {
    return Files.isDirectory(artifact) ? artifact : artifact.getParent();
  }

  /**
   * Loads the version in an engine host: a host of its own ({@code model}: it may read only this
   * model's folder), or its engine's shared host ({@code engine}: it may read the artifact cache).
   */
  private EngineInstance startHost(AliasTarget target, String name, Path artifact)
      throws Exception {
    VersionKey key = VersionKey.of(target);
    HostEngine.Listener listener = (reason, count) -> crashes.crashed(key, reason, count);
    if (properties.isolation() == ServingProperties.Isolation.ENGINE) {
      return sharedHost(target.format())
          .add(name, target.format(), artifact, target.signature(), listener);
    }
    // its own model only
    HostEngine host = newHost(name, List.of(folderOf(artifact)), true);
    try {
      return host.add(name, target.format(), artifact, target.signature(), listener);
    } catch (Exception | Error e) {
      host.close();
      throw e;
    }
  }

  /** The engine's shared host ({@code isolation: engine}), started on its first model. */
  private synchronized HostEngine sharedHost(ModelFormat format) throws Exception {
    HostEngine host = sharedHosts.get(format);
    if (host == null || host.isClosed()) {
      host =
          newHost(
              engine(format) + " engine",
              List.of(properties.cache().dir().toAbsolutePath().normalize()),
              false);
      sharedHosts.put(format, host);
    }
    return host;
  }

  private HostEngine newHost(String name, List<Path> readable, boolean dedicated) throws Exception {
    return newHost(name, readable, dedicated, launcher);
  }

  private HostEngine newHost(
      String name, List<Path> readable, boolean dedicated, HostLauncher launcher) throws Exception {
    // A short folder of its own: a Unix socket's path is limited to 107 bytes.
    Path workDir = Files.createTempDirectory("mh-host-");
    HostSpec spec =
        new HostSpec(
            name,
            workDir.resolve("s"),
            properties.engineCacheDir().toAbsolutePath().normalize(),
            properties.intraOpThreads(),
            properties.maxTensorElements());
    return new HostEngine(
            spec,
            workDir,
            readable,
            dedicated,
            launcher,
            properties.host(),
            properties.loadTimeout(),
            hostRestarts,
            clock)
        .start();
  }

  /** Refuses, before any native code runs, a signature the engine cannot take. */
  private static void checkDatatypes(AliasTarget target) {
    if (target.format() == ModelFormat.SAVED_MODEL && target.signature().inputs().isEmpty()) {
      throw new IllegalArgumentException(
          "a SavedModel signature without inputs cannot be served: DJL's TensorFlow block needs"
              + " at least one input (ONNX and TorchScript models without inputs are served)");
    }
    List<TensorSpec> all = new ArrayList<>(target.signature().inputs());
    all.addAll(target.signature().outputs());
    for (TensorSpec spec : all) {
      if (!TensorConversion.supported(target.format(), spec.datatype())) {
        throw new IllegalArgumentException(
            "tensor '"
                + spec.name()
                + "' is "
                + spec.datatype()
                + ", which the "
                + engine(target.format())
                + " engine cannot take (it takes "
                + TensorConversion.supportedBy(target.format())
                + ")");
      }
    }
  }

  static String engine(ModelFormat format) {
    return switch (format) {
      case ONNX -> "OnnxRuntime";
      case TORCHSCRIPT -> "PyTorch";
      case SAVED_MODEL -> "TensorFlow";
    };
  }

  /**
   * The artifact's model file (or SavedModel folder) under {@code dir}, checked before any engine
   * sees it: external data and SavedModel operations as at upload, and the format still enabled.
   */
  private Path checkedArtifact(AliasTarget target, Path dir) throws Exception {
    FormatDetails details = target.formatDetails();
    return switch (target.format()) {
      case ONNX -> {
        String inArchive = details instanceof FormatDetails.Onnx onnx ? onnx.modelFile() : null;
        Path unpacked = dir.resolve("unpacked");
        Path file = inArchive == null ? dir.resolve("model.onnx") : inside(unpacked, inArchive);
        inspector.checkOnnxBeforeLoading(file, inArchive == null ? null : unpacked);
        yield file;
      }
      case TORCHSCRIPT -> {
        inspector.checkEnabled(ModelFormat.TORCHSCRIPT);
        yield dir.resolve("model.pt");
      }
      case SAVED_MODEL -> {
        String modelDir =
            details instanceof FormatDetails.SavedModel saved && saved.modelDir() != null
                ? saved.modelDir()
                : "";
        Path savedModel = inside(dir.resolve("unpacked"), modelDir);
        inspector.checkSavedModelBeforeLoading(savedModel);
        yield savedModel;
      }
    };
  }

  /** {@code relative} under {@code root}, refusing anything that would leave it. */
  static Path inside(Path root, String relative) {
    Path path = root.resolve(relative).normalize();
    if (!path.startsWith(root.normalize())) {
      throw new IllegalArgumentException("the model's file lies outside its folder");
    }
    return path;
  }
}
