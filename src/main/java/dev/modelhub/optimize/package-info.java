/**
 * Optimization jobs: a durable job queue in PostgreSQL (lease, heartbeat, takeover, retry, cancel),
 * ONNX compression passes (int8 quantization, fp16, pruning, low-rank), evaluation of every variant
 * against its parent, and datasets to evaluate on. Variants are registered as new versions with
 * their lineage and report.
 */
@org.springframework.modulith.ApplicationModule
package dev.modelhub.optimize;
