package dev.modelhub.serving.internal;

import dev.modelhub.format.BatchingPolicy;
import dev.modelhub.format.Datatype;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorBytes;
import dev.modelhub.serving.TensorData;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching of one loaded version (Triton's {@code dynamic_batching}): requests waiting for
 * the engine are stacked along their first dimension into one call of at most {@code maxBatchSize}
 * rows, and each gets its own rows of the answer back. A batch leaves as soon as it is full or
 * reaches a preferred size, and otherwise when its first request has waited {@code maxQueueDelay}:
 * a request never waits longer than that for company. Requests whose other dimensions or datatypes
 * differ go in different batches; a request of {@code maxBatchSize} rows or more runs alone. When a
 * batch fails, its requests are run one by one, so one bad input fails only its own request.
 */
final class DynamicBatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DynamicBatcher.class);

  /** A request waiting for its batch. */
  private static final class Waiting {
    final List<Tensor> inputs;
    final long rows;
    final long elements;

    /** Set when its batch goes to the engine; completes when that engine call returns. */
    volatile CompletableFuture<Void> engineCall;

    final long enqueuedNanos;
    final long deadlineNanos;
    final CompletableFuture<List<Tensor>> answer = new CompletableFuture<>();

    Waiting(List<Tensor> inputs, long rows, long deadlineNanos) {
      this.inputs = inputs;
      this.rows = rows;
      this.elements = inputs.stream().mapToLong(Tensor::elementCount).sum();
      this.enqueuedNanos = System.nanoTime();
      this.deadlineNanos = deadlineNanos;
    }

    /** Whether {@code other} can share a batch with this one: same datatypes and inner shapes. */
    boolean stacksWith(Waiting other) {
      for (int i = 0; i < inputs.size(); i++) {
        Tensor a = inputs.get(i);
        Tensor b = other.inputs.get(i);
        if (a.datatype() != b.datatype()
            || a.shape().length != b.shape().length
            || !Arrays.equals(a.shape(), 1, a.shape().length, b.shape(), 1, b.shape().length)) {
          return false;
        }
      }
      return true;
    }
  }

  /** How a batch runs on the version (its predictors, its deadline). */
  interface Engine {
    List<Tensor> predict(List<Tensor> inputs, Duration timeout) throws Exception;
  }

  private final String name;
  private final Engine engine;
  private final int maxBatchSize;
  private final long maxElements;
  private final long delayNanos;
  private final List<Integer> preferred;
  private final Executor runner;
  private final DistributionSummary batchSizes;
  private final Timer queueDelay;
  private final ArrayDeque<Waiting> queue = new ArrayDeque<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final Thread dispatcher;
  private volatile boolean closed;

  DynamicBatcher(
      String name,
      BatchingPolicy policy,
      long maxElements,
      Engine engine,
      Executor runner,
      DistributionSummary batchSizes,
      Timer queueDelay) {
    this.name = name;
    this.engine = engine;
    this.maxBatchSize = policy.maxBatchSize();
    this.maxElements = maxElements;
    this.delayNanos = policy.maxQueueDelay().toNanos();
    this.preferred = policy.preferredBatchSizes();
    this.runner = runner;
    this.batchSizes = batchSizes;
    this.queueDelay = queueDelay;
    this.dispatcher = new Thread(this::dispatch, "batcher-" + name);
    this.dispatcher.setDaemon(true);
    this.dispatcher.start();
  }

  /**
   * Answers {@code inputs} (checked against the signature, in its order) from a batch, within
   * {@code timeout}.
   */
  List<Tensor> predict(List<Tensor> inputs, Duration timeout) throws Exception {
    long rows = rows(inputs);
    if (rows <= 0 || rows >= maxBatchSize || closed) {
      batchSizes.record(Math.max(rows, 0));
      return engine.predict(inputs, timeout);
    }
    Waiting waiting = new Waiting(inputs, rows, System.nanoTime() + timeout.toNanos());
    lock.lock();
    try {
      queue.add(waiting);
      arrived.signal();
    } finally {
      lock.unlock();
    }
    try {
      return waiting.answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception exception) {
        throw exception;
      }
      throw e;
    } catch (TimeoutException e) {
      waiting.answer.cancel(false);
      CompletableFuture<Void> call = waiting.engineCall;
      if (call != null && !call.isDone()) {
        // Its batch is still in the engine: the request keeps its place in the model's queue until
        // that call returns, as an unbatched call past its deadline does.
        throw new LoadedVersion.StuckCall(call);
      }
      throw new TimeoutException("no answer from the engine within the deadline");
    }
  }

  /** The rows of a request: the first dimension its inputs share (-1 when they do not). */
  private static long rows(List<Tensor> inputs) {
    long rows = -1;
    for (Tensor input : inputs) {
      if (input.shape().length == 0) {
        return -1;
      }
      if (rows >= 0 && input.shape()[0] != rows) {
        return -1;
      }
      rows = input.shape()[0];
    }
    return rows;
  }

  private void dispatch() {
    while (!closed) {
      List<Waiting> batch;
      try {
        batch = nextBatch();
      } catch (InterruptedException e) {
        break;
      }
      if (batch.isEmpty()) {
        continue;
      }
      long now = System.nanoTime();
      long rows = 0;
      for (Waiting waiting : batch) {
        queueDelay.record(now - waiting.enqueuedNanos, TimeUnit.NANOSECONDS);
        rows += waiting.rows;
      }
      batchSizes.record(rows);
      try {
        runner.execute(() -> runSafely(batch));
      } catch (RuntimeException e) {
        batch.forEach(w -> w.answer.completeExceptionally(e));
      }
    }
    lock.lock();
    try {
      queue.forEach(
          w -> w.answer.completeExceptionally(new IllegalStateException(name + " is closed")));
      queue.clear();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for the next batch: the oldest request and those that stack with it, once they fill a
   * batch, reach a preferred size, or the oldest has waited its delay.
   */
  private List<Waiting> nextBatch() throws InterruptedException {
    lock.lock();
    try {
      while (queue.isEmpty()) {
        if (closed) {
          return List.of();
        }
        arrived.await(100, TimeUnit.MILLISECONDS);
      }
      while (true) {
        Waiting first = queue.peekFirst();
        if (first.answer.isDone()) {
          queue.pollFirst(); // gave up waiting
          if (queue.isEmpty()) {
            return List.of();
          }
          continue;
        }
        long rows = stackedRows(first);
        long waited = System.nanoTime() - first.enqueuedNanos;
        if (rows >= maxBatchSize || preferred.contains((int) rows) || waited >= delayNanos) {
          return take(first);
        }
        arrived.awaitNanos(delayNanos - waited);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Rows of the requests that would go with {@code first}: up to {@code maxBatchSize} rows and
   * {@code max-tensor-elements} elements, the most one request may send.
   */
  private long stackedRows(Waiting first) {
    long rows = 0;
    long elements = 0;
    for (Waiting waiting : queue) {
      if (fits(waiting, first, rows, elements)) {
        rows += waiting.rows;
        elements += waiting.elements;
      }
    }
    return rows;
  }

  private boolean fits(Waiting waiting, Waiting first, long rows, long elements) {
    return !waiting.answer.isDone()
        && waiting.stacksWith(first)
        && rows + waiting.rows <= maxBatchSize
        && (rows == 0 || elements + waiting.elements <= maxElements);
  }

  private List<Waiting> take(Waiting first) {
    List<Waiting> batch = new ArrayList<>();
    long rows = 0;
    long elements = 0;
    for (Iterator<Waiting> it = queue.iterator(); it.hasNext(); ) {
      Waiting waiting = it.next();
      if (waiting.answer.isDone()) {
        it.remove();
      } else if (fits(waiting, first, rows, elements)) {
        batch.add(waiting);
        rows += waiting.rows;
        elements += waiting.elements;
        it.remove();
      }
    }
    return batch;
  }

  /** Runs a batch; whatever happens (even an Error), every request in it gets an answer. */
  private void runSafely(List<Waiting> batch) {
    CompletableFuture<Void> call = new CompletableFuture<>();
    batch.forEach(w -> w.engineCall = call);
    try {
      run(batch);
    } catch (Throwable e) {
      batch.forEach(w -> w.answer.completeExceptionally(e));
      if (e instanceof Error error && !(e instanceof OutOfMemoryError)) {
        throw error;
      }
    } finally {
      call.complete(null);
    }
  }

  private void run(List<Waiting> batch) {
    if (batch.size() == 1) {
      runAlone(batch.get(0));
      return;
    }
    long deadline = batch.stream().mapToLong(w -> w.deadlineNanos).min().orElseThrow();
    List<Tensor> outputs;
    try {
      outputs =
          engine.predict(stack(batch), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    } catch (TimeoutException e) {
      batch.forEach(w -> w.answer.completeExceptionally(e));
      return;
    } catch (Exception e) {
      // One request's input may have failed the whole batch: each runs on its own instead.
      log.debug(
          "{}: a batch of {} failed ({}); running its requests on their own, side by side",
          name,
          batch.size(),
          e.toString());
      retryAlone(batch);
      return;
    }
    List<List<Tensor>> split;
    try {
      split = split(outputs, batch);
    } catch (RuntimeException e) {
      log.debug("{}: outputs do not split by rows ({}); running them alone", name, e.toString());
      retryAlone(batch);
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).answer.complete(split.get(i));
    }
  }

  /** Each request of a failed batch on its own, side by side, so none waits behind the others. */
  private void retryAlone(List<Waiting> batch) {
    for (Waiting waiting : batch) {
      try {
        runner.execute(() -> runAlone(waiting));
      } catch (RuntimeException e) {
        waiting.answer.completeExceptionally(e);
      }
    }
  }

  private void runAlone(Waiting waiting) {
    if (waiting.answer.isDone()) {
      return;
    }
    try {
      waiting.answer.complete(
          engine.predict(
              waiting.inputs,
              Duration.ofNanos(Math.max(0, waiting.deadlineNanos - System.nanoTime()))));
    } catch (Throwable e) {
      waiting.answer.completeExceptionally(e);
    }
  }

  /** The batch's inputs stacked along the first dimension. */
  static List<Tensor> stack(List<Waiting> batch) {
    List<Tensor> stacked = new ArrayList<>();
    Waiting first = batch.get(0);
    long rows = batch.stream().mapToLong(w -> w.rows).sum();
    for (int i = 0; i < first.inputs.size(); i++) {
      int index = i;
      List<Tensor> parts = batch.stream().map(w -> w.inputs.get(index)).toList();
      Tensor model = parts.get(0);
      long[] shape = model.shape().clone();
      shape[0] = rows;
      stacked.add(
          new Tensor(model.name(), model.datatype(), shape, concat(model.datatype(), parts)));
    }
    return stacked;
  }

  /**
   * The parts' elements one after the other: BYTES as strings, every other datatype in the binary
   * form the engines take as it is (JSON requests' numbers written into it once, here).
   */
  private static TensorData concat(Datatype type, List<Tensor> parts) {
    if (type == Datatype.BYTES) {
      return new TensorData.Strings(
          parts.stream()
              .flatMap(p -> Arrays.stream(((TensorData.Strings) p.data()).values()))
              .toArray(String[]::new));
    }
    byte[][] pieces = parts.stream().map(TensorBytes::write).toArray(byte[][]::new);
    byte[] all = new byte[Arrays.stream(pieces).mapToInt(p -> p.length).sum()];
    int at = 0;
    for (byte[] piece : pieces) {
      System.arraycopy(piece, 0, all, at, piece.length);
      at += piece.length;
    }
    return new TensorData.Raw(all, TensorBytes.width(type));
  }

  /** Each request's rows of the batch's outputs. */
  static List<List<Tensor>> split(List<Tensor> outputs, List<Waiting> batch) {
    long rows = batch.stream().mapToLong(w -> w.rows).sum();
    List<List<Tensor>> answers = new ArrayList<>();
    batch.forEach(w -> answers.add(new ArrayList<>()));
    for (Tensor output : outputs) {
      if (output.shape().length == 0 || output.shape()[0] != rows) {
        throw new IllegalStateException(
            "output '"
                + output.name()
                + "' has shape "
                + Arrays.toString(output.shape())
                + ", not "
                + rows
                + " rows");
      }
      int rowSize = (int) (output.elementCount() / Math.max(rows, 1));
      TensorData data = TensorBytes.numbers(output.datatype(), output.data());
      long from = 0;
      for (int i = 0; i < batch.size(); i++) {
        long count = batch.get(i).rows;
        long[] shape = output.shape().clone();
        shape[0] = count;
        int start = (int) (from * rowSize);
        int end = (int) ((from + count) * rowSize);
        answers
            .get(i)
            .add(new Tensor(output.name(), output.datatype(), shape, slice(data, start, end)));
        from += count;
      }
    }
    return answers;
  }

  private static TensorData slice(TensorData data, int from, int to) {
    if (data instanceof TensorData.Reals reals) {
      return new TensorData.Reals(Arrays.copyOfRange(reals.values(), from, to));
    }
    if (data instanceof TensorData.Integers integers) {
      return new TensorData.Integers(Arrays.copyOfRange(integers.values(), from, to));
    }
    if (data instanceof TensorData.Booleans booleans) {
      return new TensorData.Booleans(Arrays.copyOfRange(booleans.values(), from, to));
    }
    return new TensorData.Strings(
        Arrays.copyOfRange(((TensorData.Strings) data).values(), from, to));
  }

  @Override
  public void close() {
    closed = true;
    dispatcher.interrupt();
  }
}
