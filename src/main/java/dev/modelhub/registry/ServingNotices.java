package dev.modelhub.registry;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Tells serving nodes that what a model serves changed (an alias moved, a served version's pipeline
 * changed) with a Postgres NOTIFY. NOTIFY is transactional: Postgres delivers it to every listening
 * node when the caller's transaction commits, and never if it rolls back. The payload is the
 * model's name; nodes then reconcile that model.
 */
@Component
class ServingNotices {

  private final JdbcClient jdbc;

  ServingNotices(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  void changed(String modelName) {
    jdbc.sql("select pg_notify(:channel, :model)")
        .param("channel", RegistryService.ALIAS_CHANNEL)
        .param("model", modelName)
        .query()
        .singleRow();
  }
}
