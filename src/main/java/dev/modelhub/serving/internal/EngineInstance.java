package dev.modelhub.serving.internal;

import java.io.IOException;

/**
 * One model version loaded in an engine: in this process ({@link DjlEngine}) or in an engine host
 * process of its own ({@link HostEngine}). The version's predictor pool holds its sessions.
 */
interface EngineInstance extends AutoCloseable {

  /** A session runs one call at a time: a DJL predictor, or a connection to the host. */
  EngineSession newSession() throws IOException;

  /**
   * The resident memory this version holds: its own host's, or what its load added to the process
   * it shares; -1 when unknown.
   */
  default long residentBytes() {
    return -1;
  }

  /** Frees the engine (or ends the host); never called while a session's call runs in-process. */
  @Override
  void close();
}
