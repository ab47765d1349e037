package dev.modelhub.serving;

import dev.modelhub.common.Memory;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The serving controller ({@code modelhub.serving.*}).
 *
 * @param aliases the aliases whose versions are kept loaded; unversioned inference goes to the
 *     first ({@code production})
 * @param reconcileInterval how often desired and loaded versions are compared, repairing any missed
 *     notification
 * @param notifications whether to LISTEN for alias moves made by other nodes
 * @param loadThreads loads (download, unpack, load, warm-up) that run at once, each on a thread of
 *     its own; a load past its deadline gives its place up, so one that hangs never holds up other
 *     models
 * @param predictors predictors per loaded version: requests of one version run this many at a time
 * @param queueCapacity requests per model that may wait for a predictor; more are answered 429
 * @param intraOpThreads threads each engine uses inside one inference call
 * @param warmupRequests inference calls made on a newly loaded version before it takes traffic
 * @param loadRetryMin first wait before retrying a failed load
 * @param loadRetryMax longest wait between retries of a failed load
 * @param drainTimeout how long an old version waits for its in-flight requests before closing
 * @param cache the local artifact cache
 * @param engineCacheDir where engine native libraries are extracted (once per machine)
 * @param validateVersions whether a node loads each version it registers (an upload on an {@code
 *     api} node, a variant on a {@code worker}) once, in an engine host of its own, to record
 *     whether it can be served; the engines' natives are then needed on those nodes too
 * @param loadTimeout how long one load (download, unpack, load, warm-up) may take before it is
 *     abandoned and counted as a failure; other models' loads never wait behind it
 * @param inferenceTimeout how long one engine call may take before the request answers 504 and the
 *     stuck predictor is replaced
 * @param maxRequestSize largest inference request body (413 above), checked before it is read
 * @param maxTensorElements most elements one request tensor may have (400 above)
 * @param warmupMaxElements largest generated warm-up input; a model whose inputs are larger is not
 *     warmed up
 * @param criticalModels models without which this node is not ready; any other model that cannot
 *     load leaves the node ready and is not ready on its own ({@code /v2/models/{m}/ready})
 * @param isolation where engines run: {@code model} (each loaded version in an engine host process
 *     of its own, so a crash in native code ends only that host), {@code engine} (one host per
 *     engine, shared by the versions it runs: less memory, but a crash stops that engine's other
 *     models until the host is back) or {@code none} (in the node's process, for benchmarks and for
 *     comparing)
 * @param host the engine hosts
 * @param memoryBudget memory the loaded versions may take together (engine hosts included): a load
 *     that would exceed it is refused before the engine loads it; 0 is 80 % of the machine's (or
 *     its container's) memory less this node's heap
 */
@Validated
@ConfigurationProperties("modelhub.serving")
public record ServingProperties(
    @DefaultValue({"production", "staging"}) @NotEmpty List<@NotBlank String> aliases,
    @DefaultValue("10s") @DurationMin(millis = 100) Duration reconcileInterval,
    @DefaultValue("true") boolean notifications,
    @DefaultValue("2") @Min(1) int loadThreads,
    @DefaultValue("2") @Min(1) int predictors,
    @DefaultValue("64") @Min(0) int queueCapacity,
    @DefaultValue("1") @Min(1) int intraOpThreads,
    @DefaultValue("3") @Min(0) int warmupRequests,
    @DefaultValue("2s") @DurationMin(millis = 1) Duration loadRetryMin,
    @DefaultValue("5m") @DurationMin(millis = 1) Duration loadRetryMax,
    @DefaultValue("60s") @DurationMin(millis = 0) Duration drainTimeout,
    @DefaultValue @Valid Cache cache,
    @DefaultValue("./data/engines") Path engineCacheDir,
    @DefaultValue("true") boolean validateVersions,
    @DefaultValue("5m") @DurationMin(seconds = 1) Duration loadTimeout,
    @DefaultValue("60s") @DurationMin(millis = 1) Duration inferenceTimeout,
    @DefaultValue("32MB") DataSize maxRequestSize,
    @DefaultValue("4194304") @Min(1) long maxTensorElements,
    @DefaultValue("1048576") @Min(0) long warmupMaxElements,
    @DefaultValue List<String> criticalModels,
    @DefaultValue("model") Isolation isolation,
    @DefaultValue @Valid Host host,
    @DefaultValue("0") DataSize memoryBudget) {

  /** Where engines run. */
  public enum Isolation {
    /** In the node's own process. */
    NONE,
    /** Each loaded version in an engine host process of its own. */
    MODEL,
    /** One engine host process per engine (ONNX Runtime, PyTorch, TensorFlow), shared. */
    ENGINE
  }

  /** A retry never waits less than the first one. */
  @AssertTrue(message = "load-retry-max must be at least load-retry-min")
  boolean isLoadRetryOrdered() {
    return loadRetryMin == null
        || loadRetryMax == null
        || loadRetryMax.compareTo(loadRetryMin) >= 0;
  }

  /**
   * The memory budget in bytes: as set, or 80 % of the machine's (container's) memory less the
   * heap.
   */
  public long memoryBudgetBytes() {
    if (memoryBudget.toBytes() > 0) {
      return memoryBudget.toBytes();
    }
    long total = Memory.total();
    return total < 0 ? 0 : Math.max(0, total / 10 * 8 - Runtime.getRuntime().maxMemory());
  }

  /** The alias unversioned inference requests are answered from. */
  public String defaultAlias() {
    return aliases.get(0);
  }

  /**
   * The local artifact cache ({@code modelhub.serving.cache.*}).
   *
   * @param dir where downloaded (and unpacked) artifacts are kept, by digest
   * @param maxSize bound of the cache; least recently used artifacts not being served are evicted
   */
  public record Cache(
      @DefaultValue("./data/cache") Path dir, @DefaultValue("20GB") DataSize maxSize) {}

  /**
   * Engine hosts ({@code modelhub.serving.host.*}).
   *
   * @param heap Java heap of one host (its engine's native memory comes on top)
   * @param maxOpenFiles open files one host may hold (its resource limit)
   * @param crashLimit crashes within {@code crash-window} after which a version is CRASHING and the
   *     alias goes back to the version it had before
   * @param crashWindow the window crashes are counted in
   * @param restartMin first wait before a crashed host is restarted; doubled for each further crash
   * @param restartMax longest wait before a restart
   * @param sandbox whether to run hosts under bubblewrap (no network, read-only file system but for
   *     the host's own folder) when {@code bwrap} is installed
   */
  public record Host(
      @DefaultValue("256MB") DataSize heap,
      @DefaultValue("1024") @Min(64) int maxOpenFiles,
      @DefaultValue("3") @Min(1) int crashLimit,
      @DefaultValue("10m") @DurationMin(seconds = 1) Duration crashWindow,
      @DefaultValue("1s") @DurationMin(millis = 1) Duration restartMin,
      @DefaultValue("1m") @DurationMin(millis = 1) Duration restartMax,
      @DefaultValue("true") boolean sandbox) {}
}
