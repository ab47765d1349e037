package dev.modelhub;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Modelhub: one jar holding the registry, the optimization workers and the serving controller. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ModelhubApplication {

  public static void main(String[] args) {
    SpringApplication.run(ModelhubApplication.class, args);
  }
}
