package dev.modelhub;

import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;

/** Fails the build when one feature reaches into another's internals or features form a cycle. */
class ModularityTests {

  @Test
  void feature_modules_respect_their_boundaries() {
    ApplicationModules.of(ModelhubApplication.class).verify();
  }
}
