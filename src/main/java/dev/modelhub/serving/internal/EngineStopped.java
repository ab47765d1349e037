package dev.modelhub.serving.internal;

/**
 * The engine host running a model ended (a crash in native code, a kill, an exceeded limit) while a
 * call ran on it or before it could take one; the host is being restarted.
 */
public final class EngineStopped extends RuntimeException {

  public EngineStopped(String message) {
    super(message);
  }
}
