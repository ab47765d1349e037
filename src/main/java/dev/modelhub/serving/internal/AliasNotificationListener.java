package dev.modelhub.serving.internal;

import dev.modelhub.registry.RegistryService;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
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
  private final ServingController controller;
  private volatile boolean running;
  private Thread thread;

  public AliasNotificationListener(DataSource dataSource, ServingController controller) {
    this.dataSource = dataSource;
    this.controller = controller;
  }

  public synchronized void start() {
    running = true;
    thread = new Thread(this, "modelhub-alias-listener");
    thread.setDaemon(true);
    thread.start();
  }

  public synchronized void stop() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
  }

  @Override
  public void run() {
    long backoff = 500;
    while (running) {
      try (Connection connection = dataSource.getConnection()) {
        try (Statement statement = connection.createStatement()) {
          statement.execute("LISTEN " + RegistryService.ALIAS_CHANNEL);
        }
        backoff = 500;
        controller.reconcileAll();
        PGConnection pg = connection.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
          if (notifications != null) {
            for (PGNotification notification : notifications) {
              controller.reconcile(notification.getParameter());
            }
          }
        }
      } catch (SQLException e) {
        if (!running) {
          return;
        }
        log.warn(
            "Alias notifications interrupted ({}); reconnecting in {} ms", e.getMessage(), backoff);
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
        backoff = Math.min(30_000, backoff * 2);
      }
    }
  }
}
