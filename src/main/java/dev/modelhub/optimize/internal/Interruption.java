package dev.modelhub.optimize.internal;

import ai.onnxruntime.OrtSession;

/**
 * How a long evaluation learns that its job must stop: checked between engine calls, and — for a
 * call already running inside ONNX Runtime — by terminating the call through its run options.
 */
@FunctionalInterface
public interface Interruption {

  /** Whether the job was asked to stop. */
  boolean requested();

  /**
   * Tracks the run options of engine calls made until the returned handle is closed: a stop request
   * then sets them to terminate, which ends a running call at once.
   */
  default Tracked track(OrtSession.RunOptions options) {
    return () -> {};
  }

  /** Ends tracking; never fails. */
  interface Tracked extends AutoCloseable {
    @Override
    void close();
  }
}
