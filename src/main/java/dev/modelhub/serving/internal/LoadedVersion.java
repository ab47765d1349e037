package dev.modelhub.serving.internal;

import ai.djl.translate.TranslateException;
import dev.modelhub.format.BatchingPolicy;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.Pipeline;
import dev.modelhub.serving.Tensor;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model version loaded in an engine (in this process or in an engine host), with a pool of
 * predictors (sessions).
 *
 * <p>Lifecycle: READY (taking requests) → DRAINING (no new requests; running ones finish) → CLOSED
 * (predictors and model closed, native memory freed). Requests hold it between {@link
 * #tryAcquire()} and {@link #release()}; once draining, tryAcquire fails and the caller reads the
 * slot again, which by then points at the new version.
 */
public final class LoadedVersion {

  private static final Logger log = LoggerFactory.getLogger(LoadedVersion.class);

  /** Where a loaded version is in its life. */
  public enum State {
    READY,
    DRAINING,
    CLOSED
  }

  private final String model;
  private final int version;
  private final String digest;
  private final ModelFormat format;
  private final ModelSignature signature;
  private final EngineInstance engine;
  private final BlockingQueue<EngineSession> predictors;
  private final List<EngineSession> allPredictors;
  private final Executor engineThreads;
  private final AtomicInteger engineCalls = new AtomicInteger();
  private final AtomicInteger retired = new AtomicInteger();
  private final Instant loadedAt;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final CountDownLatch drained = new CountDownLatch(1);
  private volatile State state = State.READY;
  private volatile boolean discarded;
  private final List<Runnable> onClose = new CopyOnWriteArrayList<>();
  private volatile DynamicBatcher batcher;
  private volatile BatchingPolicy batching;
  private volatile Pipeline pipeline;

  LoadedVersion(
      String model,
      int version,
      String digest,
      ModelFormat format,
      ModelSignature signature,
      EngineInstance engine,
      List<EngineSession> predictors,
      Executor engineThreads,
      Instant loadedAt) {
    this.engineThreads = engineThreads;
    this.model = model;
    this.version = version;
    this.digest = digest;
    this.format = format;
    this.signature = signature;
    this.engine = engine;
    this.allPredictors = new CopyOnWriteArrayList<>(predictors);
    this.predictors = new LinkedBlockingQueue<>(predictors);
    this.loadedAt = loadedAt;
  }

  public String model() {
    return model;
  }

  public int version() {
    return version;
  }

  public String digest() {
    return digest;
  }

  public ModelFormat format() {
    return format;
  }

  public ModelSignature signature() {
    return signature;
  }

  /** The resident memory the version holds (its host's, or what its load added), or -1. */
  public long residentBytes() {
    return engine.residentBytes();
  }

  /** Runs {@code hook} once the version has closed (its engine's memory freed). */
  void onClose(Runnable hook) {
    onClose.add(hook);
    if (state == State.CLOSED) {
      hook.run();
    }
  }

  public Instant loadedAt() {
    return loadedAt;
  }

  public State state() {
    return state;
  }

  /** Takes a reference for one request; false once the version is draining. */
  public boolean tryAcquire() {
    inFlight.incrementAndGet();
    if (state != State.READY) {
      release();
      return false;
    }
    return true;
  }

  /** Returns a reference taken by {@link #tryAcquire()}. */
  public void release() {
    if (inFlight.decrementAndGet() == 0 && state != State.READY) {
      drained.countDown();
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /**
   * Runs one inference on a free predictor, waiting for one if all are busy. Inputs must already
   * match the signature; outputs are named after it. The wait and the engine call share {@code
   * timeout}: a call that overruns answers {@link StuckCall}, and its predictor — still busy in
   * native code — is retired and replaced, so the pool keeps its size; the caller keeps counting
   * the stuck call against the model's admission until it returns.
   */
  public List<Tensor> predict(List<Tensor> inputs, Duration timeout)
      throws TranslateException, InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      if (state == State.CLOSED) {
        throw new IllegalStateException(model + " v" + version + " is closed");
      }
      engineCalls.incrementAndGet(); // before taking a predictor: closing now waits for this call
    }
    EngineSession predictor;
    try {
      predictor = predictors.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      endCall(null, false);
      throw e;
    }
    if (predictor == null) {
      endCall(null, false);
      throw new TimeoutException("no predictor became free within the deadline");
    }
    CompletableFuture<List<Tensor>> call;
    try {
      call = CompletableFuture.supplyAsync(() -> run(predictor, inputs), engineThreads);
    } catch (RuntimeException e) {
      endCall(predictor, false);
      throw e;
    }
    try {
      List<Tensor> outputs =
          call.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      endCall(predictor, false);
      return outputs;
    } catch (TimeoutException e) {
      retire(predictor, call);
      throw new StuckCall(call);
    } catch (ExecutionException e) {
      endCall(predictor, false);
      Throwable cause = e.getCause();
      if (cause instanceof EngineCallFailed failed) {
        throw failed.translate;
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(cause);
    } catch (InterruptedException e) {
      retire(predictor, call);
      throw e;
    }
  }

  /** An engine call past its deadline, still running; {@link #call()} completes when it returns. */
  public static final class StuckCall extends TimeoutException {
    private final transient CompletableFuture<?> call;

    StuckCall(CompletableFuture<?> call) {
      super("the engine call overran its deadline");
      this.call = call;
    }

    public CompletableFuture<?> call() {
      return call;
    }
  }

  /** Batches this version's requests from now on; the batcher stops when the version closes. */
  void batchWith(DynamicBatcher batcher, BatchingPolicy policy) {
    this.batcher = batcher;
    this.batching = policy;
    onClose(batcher::close);
  }

  /**
   * The pre- and post-processing requests with images or rows go through from now on (null: none).
   * A request reads it once, so one in flight finishes with the pipeline it started with.
   */
  public void pipeWith(Pipeline steps) {
    this.pipeline = steps;
  }

  /** The version's pipeline, or null. */
  public Pipeline pipeline() {
    return pipeline;
  }

  /** How requests are batched, or null when they are not. */
  public BatchingPolicy batching() {
    return batching;
  }

  /**
   * Answers one request: in a dynamic batch with others when the version is batched, else on a
   * predictor of its own ({@link #predict(List, Duration)}).
   */
  public List<Tensor> infer(List<Tensor> inputs, Duration timeout)
      throws TranslateException, InterruptedException, TimeoutException {
    DynamicBatcher batching = batcher;
    if (batching == null) {
      return predict(inputs, timeout);
    }
    try {
      return batching.predict(inputs, timeout);
    } catch (TranslateException | InterruptedException | TimeoutException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs without a deadline (warm-up, which the load deadline bounds). */
  public List<Tensor> predict(List<Tensor> inputs) throws TranslateException, InterruptedException {
    try {
      return predict(inputs, Duration.ofDays(1));
    } catch (TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<Tensor> run(EngineSession predictor, List<Tensor> inputs) {
    try {
      return predictor.call(inputs);
    } catch (TranslateException e) {
      throw new EngineCallFailed(e);
    }
  }

  /** Returns a predictor to the pool after its call ended (or closes it if retired). */
  private void endCall(EngineSession predictor, boolean retired) {
    if (predictor != null && retired) {
      allPredictors.remove(predictor);
      predictor.close();
    } else if (predictor != null) {
      predictors.add(predictor);
    }
    if (engineCalls.decrementAndGet() == 0 && state != State.READY) {
      synchronized (this) {
        notifyAll();
        if (discarded && state != State.CLOSED) {
          close();
        }
      }
    }
  }

  /**
   * Takes a predictor stuck past its deadline out of the pool: a fresh one takes its place now, and
   * the stuck one is closed when its call finally returns (never while it runs).
   */
  private void retire(EngineSession predictor, CompletableFuture<List<Tensor>> call) {
    retired.incrementAndGet();
    log.warn(
        "{} v{}: an engine call overran its deadline; replacing its predictor", model, version);
    try {
      EngineSession fresh = engine.newSession();
      allPredictors.add(fresh);
      predictors.add(fresh);
    } catch (IOException | RuntimeException e) {
      log.warn(
          "{} v{}: could not create a replacement predictor: {}", model, version, e.toString());
    }
    if (predictor.abortable()) {
      predictor.close(); // a host connection: ending it ends the wait, and frees nothing in use
    }
    call.whenComplete((result, error) -> endCall(predictor, true));
  }

  /** Engine calls that overran their deadline since the version was loaded. */
  public int retiredPredictors() {
    return retired.get();
  }

  /**
   * Stops taking requests, waits for running ones, then closes predictors and the model, freeing
   * native memory. It never frees what a request or an engine call still uses: past {@code timeout}
   * it logs and keeps waiting. Call after the slot points elsewhere.
   */
  public void drainAndClose(Duration timeout) {
    synchronized (this) {
      if (state != State.READY) {
        return;
      }
      state = State.DRAINING;
    }
    if (inFlight.get() == 0) {
      drained.countDown();
    }
    try {
      while (!drained.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn(
            "{} v{}: {} requests still running after {}; waiting before closing",
            model,
            version,
            inFlight.get(),
            timeout);
      }
      synchronized (this) {
        while (engineCalls.get() > 0) {
          wait(timeout.toMillis());
          if (engineCalls.get() > 0) {
            log.warn(
                "{} v{}: {} engine calls still running; waiting before closing",
                model,
                version,
                engineCalls.get());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("{} v{}: interrupted while draining; left open", model, version);
      return;
    }
    close();
  }

  /**
   * Gives up a version that never took traffic (its load failed or was abandoned): closed now if no
   * engine call runs on it, else as soon as the last one returns — never under a running call.
   */
  public void discard() {
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.DRAINING;
      discarded = true;
      if (engineCalls.get() == 0) {
        close();
      }
    }
  }

  /**
   * At shutdown: waits up to {@code timeout} for running requests and engine calls, then closes; a
   * call still running after that is left to the process's exit rather than freed under it.
   */
  public void shutdown(Duration timeout) {
    synchronized (this) {
      if (state != State.READY) {
        return;
      }
      state = State.DRAINING;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      synchronized (this) {
        while ((inFlight.get() > 0 || engineCalls.get() > 0) && System.nanoTime() < deadline) {
          wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        if (inFlight.get() == 0 && engineCalls.get() == 0) {
          close();
        } else {
          log.warn("{} v{}: still running at shutdown; left to the process exit", model, version);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A TranslateException carried out of the engine thread. */
  private static final class EngineCallFailed extends RuntimeException {
    final TranslateException translate;

    EngineCallFailed(TranslateException translate) {
      super(translate);
      this.translate = translate;
    }
  }

  /** Closes without draining: for versions that never took traffic. */
  synchronized void close() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    try {
      for (EngineSession predictor : allPredictors) {
        predictor.close();
      }
      engine.close();
    } finally {
      // Its memory reservation and gauges go whatever closing the engine threw.
      onClose.forEach(Runnable::run);
    }
    log.info("{} v{} closed", model, version);
  }
}
