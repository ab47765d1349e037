package dev.modelhub.optimize;

import jakarta.validation.constraints.Min;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Optimization jobs ({@code modelhub.jobs.*}).
 *
 * @param concurrency jobs one worker runs at a time
 * @param pollInterval how often an idle worker looks for a job
 * @param lease how long a claimed job stays with its worker without a heartbeat; after that another
 *     worker takes it over
 * @param maxAttempts runs before a failing job is FAILED for good
 * @param retryBackoff wait before the first retry; doubled for each further one
 * @param latencyRuns single-sample runs per model when measuring latency
 * @param generatedSamples inputs generated from the signature when no dataset is given
 * @param maxDatasetRows most rows (samples) a dataset may have
 * @param maxDatasetSize largest dataset file (CSV or .npz, and an .npz once unpacked) accepted
 * @param maxDuration longest a job may run on a worker; then it is stopped and FAILED
 * @param isolatedEvaluation whether a job's passes and evaluations run in processes of their own
 *     (with the engine hosts' restrictions), so that a model crashing its engine fails the job's
 *     attempt rather than ending the worker; when false, passes run in the worker's own heap and
 *     {@code pass-heap} does not apply
 * @param passHeap the heap of the process each pass runs in (with isolated evaluation): passes read
 *     and write tensors a block at a time, so this bounds what they hold (low-rank's Gram matrix
 *     aside), not the model's size; a pass needing more fails its attempt saying so
 */
@Validated
@ConfigurationProperties("modelhub.jobs")
public record JobProperties(
    @DefaultValue("1") @Min(1) int concurrency,
    @DefaultValue("1s") @DurationMin(millis = 10) Duration pollInterval,
    @DefaultValue("30s") @DurationMin(seconds = 1) Duration lease,
    @DefaultValue("3") @Min(1) int maxAttempts,
    @DefaultValue("10s") @DurationMin(millis = 0) Duration retryBackoff,
    @DefaultValue("200") @Min(1) int latencyRuns,
    @DefaultValue("128") @Min(1) int generatedSamples,
    @DefaultValue("100000") @Min(1) int maxDatasetRows,
    @DefaultValue("512MB") DataSize maxDatasetSize,
    @DefaultValue("6h") @DurationMin(seconds = 1) Duration maxDuration,
    @DefaultValue("true") boolean isolatedEvaluation,
    @DefaultValue("1GB") DataSize passHeap) {}
