package dev.modelhub.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.optimize.internal.JobStore;
import dev.modelhub.registry.ModelDeleted;
import dev.modelhub.support.TestInfrastructure;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.modulith.test.ApplicationModuleTest;
import org.springframework.modulith.test.Scenario;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * The optimize module on its own (with what it depends on, without serving or the web layer): it
 * learns of a deleted model only through the registry's published {@link ModelDeleted}, and ends
 * the model's unfinished jobs in the publishing transaction.
 */
@ApplicationModuleTest(mode = ApplicationModuleTest.BootstrapMode.ALL_DEPENDENCIES)
@TestPropertySource(
    properties = {
      "modelhub.roles=api",
      "modelhub.serving.validate-versions=false",
      // The readiness group names the ops module's contributors, which are not loaded here.
      "management.endpoint.health.validate-group-membership=false"
    })
class OptimizeModuleIT {

  @DynamicPropertySource
  static void infrastructure(DynamicPropertyRegistry registry) {
    TestInfrastructure.register(registry);
  }

  @Autowired JobStore jobs;

  @Test
  void a_deleted_models_queued_jobs_are_cancelled(Scenario scenario) {
    String model = "module-" + UUID.randomUUID().toString().substring(0, 8);
    String other = model + "-kept";
    long job = queue(model);
    long kept = queue(other);

    scenario
        .publish(new ModelDeleted(model, 42L))
        .andWaitForStateChange(() -> jobs.find(job).orElseThrow().status())
        .andVerify(status -> assertThat(status).isEqualTo(JobStatus.CANCELLED));

    assertThat(jobs.find(kept).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
  }

  private long queue(String model) {
    return jobs.insert(
        model, 1, "convert-fp16", new PassParameters.ConvertFp16(null, null, null, null), 1, "t");
  }
}
