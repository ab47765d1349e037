package dev.modelhub.serving.internal;

import dev.modelhub.common.Backoff;
import dev.modelhub.common.DaemonThreads;
import dev.modelhub.registry.RegistryService;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTENs for alias changes made on any node (the registry sends NOTIFY in the same transaction)
 * and reconciles the model named in each. After every (re)connection it reconciles everything,
 * since notifications sent while it was not listening are lost.
 */
public class AliasNotificationListener implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(AliasNotificationListener.class);
  private static final int POLL_MILLIS = 500;

  private final DataSource dataSource;
  private final ServingReconciler reconciler;
  private volatile boolean running;
  private Thread thread;

  public AliasNotificationListener(DataSource dataSource, ServingReconciler reconciler) {
    this.dataSource = dataSource;
    this.reconciler = reconciler;
  }

  public synchronized void start() {
    running = true;
    thread = DaemonThreads.start("modelhub-alias-listener", this);
  }

  public synchronized void stop() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
  }

  @Override
  public void run() {
    Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
    int failures = 0;
    while (running) {
      try (Connection connection = dataSource.getConnection()) {
        try (Statement statement = connection.createStatement()) {
          statement.execute("LISTEN " + RegistryService.ALIAS_CHANNEL);
        }
        failures = 0;
        reconciler.reconcileAll();
        PGConnection pg = connection.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
          if (notifications != null) {
            for (PGNotification notification : notifications) {
              reconciler.reconcile(notification.getParameter());
            }
          }
        }
      } catch (SQLException e) {
        if (!running) {
          return;
        }
        Duration wait = backoff.after(++failures);
        log.warn(
            "Alias notifications interrupted ({}); reconnecting in {} ms",
            e.getMessage(),
            wait.toMillis());
        try {
          Thread.sleep(wait.toMillis());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
