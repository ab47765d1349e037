package dev.modelhub.serving.internal;

/**
 * The engine host running a model ended (a crash in native code, a kill, an exceeded limit) while a
 * call ran on it or before it could take one; the host is being restarted.
 */
public final class EngineStopped extends RuntimeException {

  private final String exit;

  public EngineStopped(String message) {
    this(message, null);
  }

  EngineStopped(String message, String exit) {
    super(message);
    this.exit = exit;
  }

  /** How the host ended ("SIGSEGV in native code", "exit 134"), when known. */
  String exit() {
    return exit;
  }
}
