package dev.modelhub.serving;

/** Where one model alias is on this node. */
public enum SlotState {
  /** Nothing to serve yet: the desired version is loading. */
  LOADING,
  /** Serving the desired version. */
  READY,
  /** Serving an older version while the desired one loads. */
  UPDATING,
  /** The desired version failed to load; an older one keeps serving if there is one. */
  FAILED,
  /**
   * The version's engine host crashed {@code crash-limit} times within {@code crash-window}; the
   * alias was moved back to its previous version where there was one, else the host keeps being
   * restarted with backoff.
   */
  CRASHING
}
