package dev.modelhub.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.modelhub.optimize.internal.JobContext;
import dev.modelhub.optimize.internal.JobRunner;
import dev.modelhub.optimize.internal.JobStore;
import dev.modelhub.optimize.internal.JobWorker;
import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.Npz;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.test.context.TestPropertySource;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;

/**
 * The job queue when things go wrong. This node runs no worker of its own; the tests drive workers
 * directly, with a one-second lease.
 */
@TestPropertySource(properties = "modelhub.roles=api")
class JobLifecycleIT extends ServingTest {

  @Autowired JobStore store;
  @Autowired JobRunner runner;
  @Autowired MeterRegistry meters;
  @Autowired Environment environment;

  private String model;
  private JobWorker started;

  @BeforeEach
  void digits() {
    model = uniqueName("jobs");
    register(model, Fixtures.bytes("digits_mlp.onnx"), "mlp.onnx");
    uploadDigitsTestSet(model, "test");
  }

  @AfterEach
  void stopWorker() {
    if (started != null) {
      started.stop();
    }
  }

  @Test
  void a_dead_workers_job_is_taken_over_and_registers_exactly_one_variant() {
    long id = optimize(model, 1, "quantize-int8-dynamic", Map.of("dataset", "test"));
    JobWorker a = worker("a", 20);
    JobWorker b = worker("b", 20);

    // A claims the job and goes silent: no heartbeat renews its one-second lease.
    var claimedByA = a.claimOnly().orElseThrow();
    assertThat(job(id).get("status").asString()).isEqualTo("RUNNING");
    // B takes it over once the lease has run out, and finishes it.
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(b::runNextJob);
    JsonNode done = job(id);
    assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
    assertThat(done.get("attempts").asInt()).isEqualTo(2);
    int variant = done.get("resultVersion").asInt();

    // A was only slow, not dead: it finishes its run too, late. Still one variant.
    a.execute(claimedByA);
    assertThat(variantsOf(id)).isEqualTo(1);
    assertThat(versionRows(model)).isEqualTo(2);
    assertThat(job(id).get("resultVersion").asInt()).isEqualTo(variant);
  }

  @Test
  void a_job_whose_worker_dies_every_time_ends_failed_after_max_attempts() {
    long id = optimize(model, 1, "convert-fp16", Map.of());
    // Each worker claims the job and dies with it (no heartbeat, no result): a poison pill.
    for (int attempt = 1; attempt <= 3; attempt++) {
      JobWorker victim = worker("victim-" + attempt, 20);
      await()
          .atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> victim.claimOnly().isPresent());
      assertThat(job(id).get("attempts").asInt()).isEqualTo(attempt);
    }
    // Its third lease runs out: the next worker to look finds it FAILED, not claimable.
    JobWorker next = worker("next", 20);
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              next.runNextJob();
              return job(id).get("status").asString().equals("FAILED");
            });
    JsonNode failed = job(id);
    assertThat(failed.get("attempts").asInt()).isEqualTo(3);
    assertThat(failed.get("error").asString()).contains("stopped responding");
    assertThat(variantsOf(id)).isZero();
  }

  @Test
  void a_job_running_past_max_duration_is_stopped_and_failed() {
    long id = optimize(model, 1, "quantize-int8-dynamic", Map.of("dataset", "test"));
    started = worker("bounded", 1_000_000, Duration.ofSeconds(2));
    started.start();
    JsonNode job = awaitJob(id);
    assertThat(job.get("status").asString()).isEqualTo("FAILED");
    assertThat(job.get("error").asString()).contains("max-duration");
    assertThat(variantsOf(id)).isZero();
  }

  @Test
  void work_folders_left_by_a_dead_process_are_swept_when_a_worker_starts() throws Exception {
    Path jobs =
        Path.of(environment.getProperty("modelhub.storage.spool-dir"))
            .toAbsolutePath()
            .resolve("jobs");
    Path leftover = jobs.resolve("job-999-crashed");
    Files.createDirectories(leftover.resolve("parent"));
    Files.write(leftover.resolve("parent/model.onnx"), new byte[1024]);
    started = worker("sweeper", 20);
    started.start();
    assertThat(leftover).doesNotExist();
  }

  @Test
  void a_cancelled_running_job_stops_and_registers_nothing() {
    long id = optimize(model, 1, "quantize-int8-dynamic", Map.of("dataset", "test"));
    // Latency measured a million times: the job is still evaluating when the cancel comes.
    started = worker("slow", 1_000_000);
    started.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> job(id).get("progress").asInt() >= 20);

    JsonNode cancelling = api.postJson("/api/v1/jobs/" + id + "/cancel", Map.of()).json();
    assertThat(cancelling.get("cancelRequested").asBoolean()).isTrue();

    JsonNode job = awaitJob(id);
    assertThat(job.get("status").asString()).isEqualTo("CANCELLED");
    assertThat(job.get("resultVersion").isNull()).isTrue();
    assertThat(variantsOf(id)).isZero();
    assertThat(versionRows(model)).isEqualTo(1);
  }

  @Test
  void a_distillation_taken_over_from_a_dead_worker_continues_from_its_last_checkpoint()
      throws Exception {
    long id = distill(25);
    String checkpoint = "scratch/distill-job-" + id;
    // Worker A claims the job and trains; it dies (its process and training end, nothing is
    // written to the queue) once it has stored a checkpoint a few epochs in.
    JobContext a = new JobContext(store.claim("a", Duration.ofSeconds(1)).orElseThrow());
    ExecutorService workerA = Executors.newSingleThreadExecutor();
    Future<?> runA = workerA.submit(() -> runner.run(a));
    try {
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> checkpointEpoch(checkpoint) >= 5 || runA.isDone());
      a.stop(JobContext.Stop.LEASE_LOST);
      assertThatThrownBy(runA::get).isInstanceOf(ExecutionException.class);
    } finally {
      workerA.shutdownNow();
    }
    int saved = checkpointEpoch(checkpoint);
    assertThat(saved).isBetween(5, 24);

    // B takes the job over once A's lease has run out, and continues from A's checkpoint.
    JobWorker b = worker("b", 20);
    // runNextJob runs the job it claims to its end: the wait includes the rest of the training.
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(b::runNextJob);
    JsonNode done = job(id);
    assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
    assertThat(done.get("attempts").asInt()).isEqualTo(2);
    JsonNode details = done.get("report").get("passDetails");
    assertThat(details.get("resumedAfterEpoch").asInt()).isGreaterThanOrEqualTo(saved);
    assertThat(details.get("epochsRun").asInt()).isEqualTo(25);
    assertThat(details.get("epochs").size()).isEqualTo(25);
    assertThat(done.get("log").findValuesAsString("line"))
        .anyMatch(line -> line.startsWith("continuing from the checkpoint after epoch "));
    assertThat(variantsOf(id)).isEqualTo(1);
    // The checkpoint goes with the job's success.
    assertThat(objectKeys(checkpoint)).isEmpty();
  }

  @Test
  void a_cancelled_distillation_stops_between_batches_and_leaves_nothing() throws Exception {
    long id = distill(10000);
    started = worker("trainer", 20);
    started.start();
    await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> job(id).get("message").asString().startsWith("training: epoch"));
    api.postJson("/api/v1/jobs/" + id + "/cancel", Map.of());
    JsonNode job = awaitJob(id);
    assertThat(job.get("status").asString()).isEqualTo("CANCELLED");
    assertThat(variantsOf(id)).isZero();
    assertThat(objectKeys("scratch/distill-job-" + id)).isEmpty();
  }

  /**
   * Submits a distillation of the digits MLP training {@code epochs} epochs, none stopped early.
   */
  private long distill(int epochs) {
    uploadCsv(model, "train", Fixtures.data("digits-train.csv"));
    return optimize(
        model,
        1,
        "distill",
        Map.of(
            "student",
            Map.of("type", "mlp", "hidden", List.of(32)),
            "dataset",
            "train",
            "evaluationDataset",
            "test",
            "epochs",
            epochs,
            "patience",
            epochs));
  }

  /** The epoch of a distillation checkpoint stored under {@code key} (0 when there is none). */
  private int checkpointEpoch(String key) throws Exception {
    if (objectKeys(key).isEmpty()) {
      return 0;
    }
    // magic, the run's fingerprint, then the epoch
    try (DataInputStream in = new DataInputStream(objectStorage.get(key, 0, null))) {
      in.readInt();
      in.readUTF();
      return in.readInt();
    }
  }

  @Test
  void a_model_that_crashes_its_evaluation_fails_its_attempt_not_the_worker() {
    // Evaluated on INT32_MIN / -1, the model raises SIGFPE inside ONNX Runtime.
    String crasher = uniqueName("crasher");
    register(crasher, OnnxModels.projectAndDivide().toByteArray(), "c.onnx");
    byte[] npz =
        new Npz()
            .float32("x", new long[] {2, 4}, 1, 2, 3, 4, 5, 6, 7, 8)
            .int32("numerator", new long[] {2, 2}, Integer.MIN_VALUE, 6, 7, 8)
            .int32("divisor", new long[] {2, 2}, -1, 2, 1, 2)
            .bytes();
    Response uploaded =
        api.sendRaw(
            "POST",
            "/api/v1/models/" + crasher + "/datasets?name=crash",
            "application/octet-stream",
            npz);
    assertThat(uploaded.status()).as(uploaded.toString()).isEqualTo(201);
    long crashing = optimize(crasher, 1, "convert-fp16", Map.of("dataset", "crash"));
    JobWorker worker = worker("crash", 5);

    assertThat(worker.runNextJob()).isTrue();
    JsonNode failed = job(crashing);
    assertThat(failed.get("status").asString()).isEqualTo("QUEUED");
    assertThat(failed.get("attempts").asInt()).isEqualTo(1);
    assertThat(failed.get("error").asString()).contains("SIGFPE in native code");

    // The same worker, in the same process, runs the next job to the end.
    long good = optimize(model, 1, "convert-fp16", Map.of("dataset", "test"));
    assertThat(worker.runNextJob()).isTrue();
    assertThat(job(good).get("status").asString()).isEqualTo("SUCCEEDED");
    api.delete("/api/v1/models/" + crasher);
  }

  @Test
  void a_failing_job_is_retried_with_backoff_then_failed_with_the_last_error() throws Exception {
    // The parent registers (inspection does not read weights) but ONNX Runtime cannot load it.
    String broken = uniqueName("broken");
    register(broken, OnnxModels.corruptedDigits(), "broken.onnx");
    long id = optimize(broken, 1, "convert-fp16", Map.of());
    JobWorker worker = worker("retry", 20);

    assertThat(worker.runNextJob()).isTrue();
    JsonNode first = job(id);
    assertThat(first.get("status").asString()).isEqualTo("QUEUED");
    assertThat(first.get("attempts").asInt()).isEqualTo(1);
    assertThat(first.get("error").asString()).isNotBlank();
    assertThat(worker.runNextJob()).as("not due again before its 1 s backoff").isFalse();

    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(worker::runNextJob);
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(worker::runNextJob);

    JsonNode last = job(id);
    assertThat(last.get("status").asString()).isEqualTo("FAILED");
    assertThat(last.get("attempts").asInt()).isEqualTo(3);
    assertThat(last.get("error").asString()).isNotBlank();
    assertThat(last.get("finishedAt").asString()).isNotBlank();
    assertThat(worker.runNextJob()).as("a FAILED job is never claimed again").isFalse();
    assertThat(variantsOf(id)).isZero();
  }

  @Test
  void a_queued_job_is_cancelled_at_once_and_a_finished_one_cannot_be() {
    long id = optimize(model, 1, "convert-fp16", Map.of());
    JsonNode cancelled = api.postJson("/api/v1/jobs/" + id + "/cancel", Map.of()).json();
    assertThat(cancelled.get("status").asString()).isEqualTo("CANCELLED");
    var again = api.postJson("/api/v1/jobs/" + id + "/cancel", Map.of());
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().get("type").asString()).endsWith("/job-finished");
    assertThat(worker("idle", 20).runNextJob()).as("a cancelled job is never claimed").isFalse();
  }

  @Test
  void shutdown_releases_a_running_job_for_another_worker_without_counting_the_run() {
    long id = optimize(model, 1, "quantize-int8-dynamic", Map.of("dataset", "test"));
    JobWorker leaving = worker("leaving", 1_000_000);
    leaving.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> job(id).get("progress").asInt() >= 20);

    leaving.stop();

    JsonNode released = job(id);
    assertThat(released.get("status").asString()).isEqualTo("QUEUED");
    assertThat(released.get("attempts").asInt()).isZero();
    assertThat(released.get("message").asString()).contains("released");
    assertThat(worker("next", 20).runNextJob()).isTrue();
    assertThat(job(id).get("status").asString()).isEqualTo("SUCCEEDED");
    assertThat(job(id).get("attempts").asInt()).isEqualTo(1);
  }

  @Test
  void jobs_queued_before_a_restart_run_after_it() {
    long id = optimize(model, 1, "convert-fp16", Map.of("dataset", "test"));
    assertThat(job(id).get("status").asString()).isEqualTo("QUEUED");

    // A node that starts later (as this one would after a restart) finds the job in PostgreSQL.
    try (ConfigurableApplicationContext restarted =
        startNode(
            environment,
            Map.of("modelhub.roles", "api,worker", "modelhub.jobs.poll-interval", "200ms"))) {
      Api node = new Api(port(restarted), json);
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  node.get("/api/v1/jobs/" + id)
                      .json()
                      .get("status")
                      .asString()
                      .equals("SUCCEEDED"));
    }
    assertThat(variantsOf(id)).isEqualTo(1);
  }

  private JobWorker worker(String name, int latencyRuns) {
    return worker(name, latencyRuns, Duration.ofHours(1));
  }

  private JobWorker worker(String name, int latencyRuns, Duration maxDuration) {
    JobProperties properties =
        new JobProperties(
            1,
            Duration.ofMillis(100),
            Duration.ofSeconds(1),
            3,
            Duration.ofSeconds(1),
            latencyRuns,
            32,
            100_000,
            DataSize.ofMegabytes(64),
            maxDuration,
            true,
            DataSize.ofMegabytes(256));
    return new JobWorker(
        "test-" + name, store, runner.withProperties(properties), properties, meters);
  }

  private long variantsOf(long job) {
    return jdbc.sql("select count(*) from model_version where produced_by_job_id = ?")
        .param(job)
        .query(Long.class)
        .single();
  }
}
