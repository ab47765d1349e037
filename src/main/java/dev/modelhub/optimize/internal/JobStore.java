package dev.modelhub.optimize.internal;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.optimize.JobStatus;
import dev.modelhub.optimize.JobView;
import dev.modelhub.optimize.OptimizationReport;
import dev.modelhub.optimize.PassParameters;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

/**
 * The job table as a durable queue, in db-scheduler's pattern: a worker claims the oldest due job
 * with {@code FOR UPDATE SKIP LOCKED} and a lease, renews the lease with heartbeats, and writes
 * results only while it still owns the job. A job whose lease ran out (its worker died) is
 * claimable again. Times come from the database's clock, shared by every node.
 */
@Repository
public class JobStore {

  private static final int LOG_LINES = 50;
  private static final TypeReference<List<JobView.LogLine>> LOG = new TypeReference<>() {};

  private final JdbcClient jdbc;
  private final ObjectMapper json;
  private final Passes passes;
  private final ArtifactStore artifacts;

  public JobStore(JdbcClient jdbc, ObjectMapper json, Passes passes, ArtifactStore artifacts) {
    this.jdbc = jdbc;
    this.json = json;
    this.passes = passes;
    this.artifacts = artifacts;
  }

  /**
   * Jobs ended here rather than by their worker (abandoned on their last attempt, cancelled while
   * queued): what a distillation kept for a later attempt, its checkpoint, goes with them.
   */
  private void forgetScratch(List<String[]> ended) {
    for (String[] job : ended) {
      if (Distillation.NAME.equals(job[1])) {
        artifacts.removeScratch(Distillation.checkpointName(Long.parseLong(job[0])));
      }
    }
  }

  private static String[] idAndPass(java.sql.ResultSet row, int n) throws java.sql.SQLException {
    return new String[] {Long.toString(row.getLong("id")), row.getString("pass")};
  }

  public long insert(
      String model,
      int version,
      String pass,
      PassParameters params,
      int maxAttempts,
      String actor) {
    return jdbc.sql(
            "insert into job (kind, model_name, version, pass, params, status, max_attempts,"
                + " next_run_at, created_at, created_by, message)"
                + " values ('optimize', :model, :version, :pass, cast(:params as jsonb), 'QUEUED',"
                + " :max, now(), now(), :actor, 'queued') returning id")
        .param("model", model)
        .param("version", version)
        .param("pass", pass)
        .param("params", json.writeValueAsString(params))
        .param("max", maxAttempts)
        .param("actor", actor)
        .query(Long.class)
        .single();
  }

  public Optional<JobView> find(long id) {
    return jdbc.sql("select * from job where id = :id").param("id", id).query(mapper()).optional();
  }

  /**
   * Jobs of {@code model} (null: any) in {@code status} (null: any) whose model matches {@code
   * scope}.
   */
  public List<JobView> list(
      String model, JobStatus status, String pass, String scope, int page, int size) {
    return jdbc.sql(
            "select * from job where (cast(:model as text) is null or model_name = :model)"
                + " and (cast(:status as text) is null or status = :status)"
                + " and (cast(:pass as text) is null or pass = :pass)"
                + " and model_name ~ :scope"
                + " order by id desc limit :size offset :offset")
        .param("model", model)
        .param("scope", scope)
        .param("status", status == null ? null : status.name())
        .param("pass", pass)
        .param("size", size)
        .param("offset", (long) page * size)
        .query(mapper())
        .list();
  }

  public long count(String model, JobStatus status, String pass, String scope) {
    return jdbc.sql(
            "select count(*) from job where (cast(:model as text) is null or model_name = :model)"
                + " and (cast(:status as text) is null or status = :status)"
                + " and (cast(:pass as text) is null or pass = :pass)"
                + " and model_name ~ :scope")
        .param("model", model)
        .param("scope", scope)
        .param("status", status == null ? null : status.name())
        .param("pass", pass)
        .query(Long.class)
        .single();
  }

  /**
   * Claims the oldest job that is due, or whose worker's lease ran out, for {@code worker}.
   * Concurrent claimers skip each other's locked rows, so each job goes to one of them.
   */
  public Optional<JobView> claim(String worker, Duration lease) {
    failAbandoned();
    return jdbc.sql(
            "update job set status = 'RUNNING', worker = :worker, attempts = attempts + 1,"
                + " lease_until = now() + make_interval(secs => :lease), heartbeat_at = now(),"
                + " started_at = coalesce(started_at, now()), message = 'claimed by ' || :worker"
                + " where id = (select id from job"
                + "   where (status = 'QUEUED' and next_run_at <= now())"
                + "      or (status = 'RUNNING' and lease_until < now())"
                + "   order by id for update skip locked limit 1)"
                + " returning *")
        .param("worker", worker)
        .param("lease", lease.toMillis() / 1000.0)
        .query(mapper())
        .optional();
  }

  /**
   * A job whose worker stopped answering (its process died, or the job killed it) has used an
   * attempt like any failure: once such a job has used all of them it is FAILED, not claimed again,
   * so a job that kills its worker cannot loop forever.
   */
  private void failAbandoned() {
    List<String[]> failed =
        jdbc.sql(
                "update job set status = 'FAILED', message = 'failed', finished_at = now(),"
                    + " lease_until = null,"
                    + " error = 'its worker stopped responding during each of its ' || attempts"
                    + " || ' attempts (the job may crash the process that runs it)'"
                    + " where status = 'RUNNING' and lease_until < now() and attempts >= max_attempts"
                    + " returning id, pass")
            .query(JobStore::idAndPass)
            .list();
    forgetScratch(failed);
  }

  /** What a heartbeat learned. */
  public record Heartbeat(boolean owned, boolean cancelRequested) {}

  /** Renews the lease and records progress; tells whether the job is still this worker's. */
  public Heartbeat heartbeat(long id, String worker, Duration lease, int progress, String message) {
    return jdbc.sql(
            "update job set lease_until = now() + make_interval(secs => :lease), heartbeat_at = now(),"
                + " progress = :progress, message = :message"
                + " where id = :id and worker = :worker and status = 'RUNNING' returning cancel_requested")
        .param("lease", lease.toMillis() / 1000.0)
        .param("progress", progress)
        .param("message", message)
        .param("id", id)
        .param("worker", worker)
        .query(Boolean.class)
        .optional()
        .map(cancel -> new Heartbeat(true, cancel))
        .orElse(new Heartbeat(false, false));
  }

  /** Appends a line to the job's log, keeping the last {@value #LOG_LINES}. */
  public void log(long id, String line) {
    jdbc.sql(
            "update job set log = (select coalesce(jsonb_agg(e order by n), '[]'::jsonb) from"
                + " (select e, n from jsonb_array_elements(log || jsonb_build_array("
                + "   jsonb_build_object('at', now(), 'line', cast(:line as text)))) with ordinality as t(e, n)"
                + "  order by n desc limit "
                + LOG_LINES
                + ") recent)"
                + " where id = :id")
        .param("line", line)
        .param("id", id)
        .update();
  }

  public boolean succeed(long id, String worker, int resultVersion, OptimizationReport report) {
    return jdbc.sql(
                "update job set status = 'SUCCEEDED', progress = 100, message = 'done',"
                    + " result_version = :result, report = cast(:report as jsonb), finished_at = now(),"
                    + " lease_until = null, error = null where id = :id and worker = :worker and status = 'RUNNING'")
            .param("result", resultVersion)
            .param("report", json.writeValueAsString(report))
            .param("id", id)
            .param("worker", worker)
            .update()
        == 1;
  }

  /**
   * Records a failed run: queued again after {@code retryAfter} while attempts remain (and the
   * failure is not final), FAILED otherwise.
   */
  public void fail(
      long id,
      String worker,
      String error,
      OptimizationReport report,
      Duration retryAfter,
      boolean finalFailure) {
    jdbc.sql(
            "update job set error = :error, report = cast(:report as jsonb), lease_until = null,"
                + " status = case when :final or attempts >= max_attempts then 'FAILED' else 'QUEUED' end,"
                + " message = case when :final or attempts >= max_attempts then 'failed' else 'retrying' end,"
                + " finished_at = case when :final or attempts >= max_attempts then now() end,"
                + " next_run_at = now() + make_interval(secs => :retry)"
                + " where id = :id and worker = :worker and status = 'RUNNING'")
        .param("error", error)
        .param("report", report == null ? null : json.writeValueAsString(report))
        .param("final", finalFailure)
        .param("retry", retryAfter.toMillis() / 1000.0)
        .param("id", id)
        .param("worker", worker)
        .update();
  }

  /** Cancels a queued job at once; asks a running one to stop at its next checkpoint. */
  public boolean cancel(long id) {
    List<String[]> queued =
        jdbc.sql(
                "update job set status = 'CANCELLED', cancel_requested = true, message = 'cancelled',"
                    + " finished_at = now() where id = :id and status = 'QUEUED' returning id, pass")
            .param("id", id)
            .query(JobStore::idAndPass)
            .list();
    if (queued.size() == 1) {
      forgetScratch(queued);
      return true;
    }
    return jdbc.sql("update job set cancel_requested = true where id = :id and status = 'RUNNING'")
            .param("id", id)
            .update()
        == 1;
  }

  /** Cancels every unfinished job of a model (it was deleted); answers how many. */
  public int cancelAll(String model) {
    // A queued job ends here; a running one is told at its next heartbeat and ends with its worker.
    List<String[]> queued =
        jdbc.sql("select id, pass from job where model_name = :model and status = 'QUEUED'")
            .param("model", model)
            .query(JobStore::idAndPass)
            .list();
    int cancelled =
        jdbc.sql(
                "update job set cancel_requested = true, status = case when status = 'QUEUED' then"
                    + " 'CANCELLED' else status end, message = case when status = 'QUEUED' then"
                    + " 'cancelled: the model was deleted' else message end, finished_at = case when"
                    + " status = 'QUEUED' then now() else finished_at end"
                    + " where model_name = :model and status in ('QUEUED', 'RUNNING')")
            .param("model", model)
            .update();
    forgetScratch(queued);
    return cancelled;
  }

  public void markCancelled(long id, String worker) {
    jdbc.sql(
            "update job set status = 'CANCELLED', message = 'cancelled', finished_at = now(),"
                + " lease_until = null where id = :id and worker = :worker and status = 'RUNNING'")
        .param("id", id)
        .param("worker", worker)
        .update();
  }

  /** Hands a running job back to the queue at shutdown, without counting the interrupted run. */
  public void release(long id, String worker) {
    jdbc.sql(
            "update job set status = 'QUEUED', worker = null, lease_until = null,"
                + " attempts = greatest(attempts - 1, 0), next_run_at = now(),"
                + " message = 'released by ' || :worker || ' at shutdown'"
                + " where id = :id and worker = :worker and status = 'RUNNING'")
        .param("id", id)
        .param("worker", worker)
        .update();
  }

  /** Hands a job that did not stop in time back to the queue, its attempt counted. */
  public void releaseCounted(long id, String worker) {
    jdbc.sql(
            "update job set status = 'QUEUED', worker = null, lease_until = null,"
                + " next_run_at = now(), message = 'released by ' || :worker || ' at shutdown'"
                + " where id = :id and worker = :worker and status = 'RUNNING'")
        .param("id", id)
        .param("worker", worker)
        .update();
  }

  private RowMapper<JobView> mapper() {
    return (rs, n) ->
        new JobView(
            rs.getLong("id"),
            rs.getString("kind"),
            rs.getString("model_name"),
            rs.getInt("version"),
            rs.getString("pass"),
            params(rs.getString("pass"), rs.getString("params")),
            JobStatus.valueOf(rs.getString("status")),
            rs.getInt("progress"),
            rs.getString("message"),
            rs.getInt("attempts"),
            rs.getInt("max_attempts"),
            rs.getBoolean("cancel_requested"),
            rs.getString("error"),
            (Integer) rs.getObject("result_version"),
            report(rs.getString("pass"), rs.getString("report")),
            json.readValue(rs.getString("log"), LOG),
            instant(rs, "created_at"),
            rs.getString("created_by"),
            instant(rs, "started_at"),
            instant(rs, "finished_at"));
  }

  private PassParameters params(String pass, String stored) {
    return passes.find(pass).map(p -> passes.stored(p, json.readTree(stored))).orElse(null);
  }

  private OptimizationReport report(String pass, String stored) {
    if (stored == null) {
      return null;
    }
    return passes.find(pass).map(p -> passes.storedReport(p, json.readTree(stored))).orElse(null);
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp ts = rs.getTimestamp(column);
    return ts == null ? null : ts.toInstant();
  }
}
