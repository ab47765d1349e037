package dev.modelhub.optimize;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Optimization jobs ({@code modelhub.jobs.*}).
 *
 * @param enabled whether this node runs a job worker (the {@code worker} role); jobs can be
 *     submitted either way
 * @param concurrency jobs one worker runs at a time
 * @param pollInterval how often an idle worker looks for a job
 * @param lease how long a claimed job stays with its worker without a heartbeat; after that another
 *     worker takes it over
 * @param maxAttempts runs before a failing job is FAILED for good
 * @param retryBackoff wait before the first retry; doubled for each further one
 * @param latencyRuns single-sample runs per model when measuring latency
 * @param generatedSamples inputs generated from the signature when no dataset is given
 * @param maxDatasetRows most rows a dataset may have
 * @param maxDatasetSize largest dataset CSV accepted
 * @param maxDuration longest a job may run on a worker; then it is stopped and FAILED
 */
@ConfigurationProperties("modelhub.jobs")
public record JobProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("1") int concurrency,
    @DefaultValue("1s") Duration pollInterval,
    @DefaultValue("30s") Duration lease,
    @DefaultValue("3") int maxAttempts,
    @DefaultValue("10s") Duration retryBackoff,
    @DefaultValue("200") int latencyRuns,
    @DefaultValue("128") int generatedSamples,
    @DefaultValue("100000") int maxDatasetRows,
    @DefaultValue("512MB") org.springframework.util.unit.DataSize maxDatasetSize,
    @DefaultValue("6h") Duration maxDuration) {}
