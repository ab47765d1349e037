package dev.modelhub.support;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.springframework.test.context.cache.ContextCache;
import org.springframework.test.context.cache.DefaultCacheAwareContextLoaderDelegate;

/**
 * When the test run ends: closes the cached Spring contexts (stopping their background loops), then
 * drops the run's test database.
 */
public class TestRunListener implements LauncherSessionListener {

  @Override
  public void launcherSessionClosed(LauncherSession session) {
    new SharedContexts().cache().reset();
    TestInfrastructure.close();
  }

  /** The default delegate works on the static context cache the test framework shares. */
  private static final class SharedContexts extends DefaultCacheAwareContextLoaderDelegate {
    ContextCache cache() {
      return getContextCache();
    }
  }
}
