package dev.modelhub.common;

import java.util.Locale;

/**
 * What a node does ({@code modelhub.roles}). One jar and one image run every role; a deployment
 * scales each on its own (see the Helm chart).
 */
public enum NodeRole {
  /** The REST API, the dashboard and uploads. */
  API,
  /** {@code /v2} and {@code /v1} inference, keeping the promoted versions loaded. */
  SERVING,
  /** Optimization jobs from the shared queue. */
  WORKER;

  /** The name in settings and messages: {@code api}, {@code serving}, {@code worker}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
