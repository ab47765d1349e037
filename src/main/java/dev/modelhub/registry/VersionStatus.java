package dev.modelhub.registry;

/** Lifecycle of a model version. */
public enum VersionStatus {
  /** Stored, inspected and available to aliases. */
  READY,
  /** Retired: still downloadable, but no alias may point at it. */
  ARCHIVED
}
