package dev.modelhub.serving.internal;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.TranslateException;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.Tensor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model version loaded in an engine, with a pool of predictors.
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
  private final Model djlModel;
  private final BlockingQueue<Predictor<NDList, NDList>> predictors;
  private final List<Predictor<NDList, NDList>> allPredictors;
  private final Instant loadedAt;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final CountDownLatch drained = new CountDownLatch(1);
  private volatile State state = State.READY;

  LoadedVersion(
      String model,
      int version,
      String digest,
      ModelFormat format,
      ModelSignature signature,
      Model djlModel,
      List<Predictor<NDList, NDList>> predictors,
      Instant loadedAt) {
    this.model = model;
    this.version = version;
    this.digest = digest;
    this.format = format;
    this.signature = signature;
    this.djlModel = djlModel;
    this.allPredictors = List.copyOf(predictors);
    this.predictors = new ArrayBlockingQueue<>(predictors.size(), true, predictors);
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
    }
  }

  /**
   * Runs one inference on a free predictor (waiting for one if all are busy). Inputs must already
   * match the signature; outputs are named after it.
   */
  public List<Tensor> predict(List<Tensor> inputs) throws TranslateException, InterruptedException {
    Predictor<NDList, NDList> predictor = predictors.take();
    try (NDManager manager = djlModel.getNDManager().newSubManager()) {
      NDList in = new NDList(inputs.size());
      for (Tensor input : inputs) {
        in.add(TensorConversion.toNDArray(manager, input));
      }
      NDList out = predictor.predict(in);
      List<TensorSpec> specs = signature.outputs();
      List<Tensor> outputs = new ArrayList<>(out.size());
      for (int i = 0; i < out.size(); i++) {
        String name = i < specs.size() ? specs.get(i).name() : "output_" + i;
        outputs.add(TensorConversion.fromNDArray(name, out.get(i)));
      }
      return outputs;
    } finally {
      predictors.put(predictor);
    }
  }

  /**
   * Stops taking requests, waits up to {@code timeout} for running ones, then closes predictors and
   * the model, freeing native memory. Call after the slot points elsewhere.
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
      if (!drained.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn(
            "{} v{}: {} requests still running after {}; closing anyway",
            model,
            version,
            inFlight.get(),
            timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    close();
  }

  /** Closes without draining: for versions that never took traffic. */
  void close() {
    state = State.CLOSED;
    for (Predictor<NDList, NDList> predictor : allPredictors) {
      predictor.close();
    }
    djlModel.close();
    log.info("{} v{} closed", model, version);
  }
}
