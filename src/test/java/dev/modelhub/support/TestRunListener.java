package dev.modelhub.support;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Drops the run's test database when the test run ends. */
public class TestRunListener implements LauncherSessionListener {

  @Override
  public void launcherSessionClosed(LauncherSession session) {
    TestInfrastructure.close();
  }
}
