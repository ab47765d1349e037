package dev.modelhub;

import dev.modelhub.common.NativeEnvironment;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.modulith.Modulithic;

/** Modelhub: one jar holding the registry, the optimization workers and the serving controller. */
@SpringBootApplication
@Modulithic(sharedModules = "common")
@ConfigurationPropertiesScan
public class ModelhubApplication {

  public static void main(String[] args) {
    NativeEnvironment.prepare();
    SpringApplication.run(ModelhubApplication.class, args);
  }
}
