package dev.modelhub.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.modelhub.common.NodeRole;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Helm chart, linted and rendered by Helm itself (helm-java's native library, no binary, no
 * cluster), with its default values, {@code values-dev.yaml} and the production example; the
 * manifests are read into fabric8's typed Kubernetes objects and checked as a reviewer would.
 */
class HelmChartTest {

  private static final Path CHART = Path.of("helm/modelhub");
  private static final Path DEV = CHART.resolve("values-dev.yaml");
  private static final Path PRODUCTION = Path.of("helm/examples/production.yaml");
  private static final List<String> ROLES = List.of("api", "serving", "worker");
  private static final Pattern SECRET_NAME = Pattern.compile("PASSWORD|SECRET|KEY|TOKEN");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void helm_lint_finds_nothing_to_fix() {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  void default_values_render_the_three_roles_against_external_postgres_and_s3() {
    Rendered chart = render(t -> t);
    assertThat(chart.kinds())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "Deployment", 3L,
                "Service", 3L,
                "PodDisruptionBudget", 3L,
                "HorizontalPodAutoscaler", 1L,
                "ServiceAccount", 1L));
    chart.checkEverywhere();
    assertThat(chart.deployment("api").getSpec().getReplicas()).isEqualTo(2);
    assertThat(chart.deployment("worker").getSpec().getReplicas()).isEqualTo(1);
    // Serving is autoscaled on CPU by default, so its Deployment leaves replicas to the HPA.
    assertThat(chart.deployment("serving").getSpec().getReplicas()).isNull();
    HorizontalPodAutoscaler serving = chart.hpa("serving");
    assertThat(serving.getSpec().getMinReplicas()).isEqualTo(2);
    assertThat(serving.getSpec().getMaxReplicas()).isEqualTo(10);
    assertThat(serving.getSpec().getMetrics().get(0).getResource().getName()).isEqualTo("cpu");
    assertThat(
            serving.getSpec().getMetrics().get(0).getResource().getTarget().getAverageUtilization())
        .isEqualTo(70);
    assertThat(chart.all(Secret.class)).as("no Secret rendered from values").isEmpty();
    // The admin key reaches API pods only, and a deleted Secret does not stop them.
    assertThat(env(chart.deployment("api"), "MODELHUB_ADMIN_KEY").getValueFrom().getSecretKeyRef())
        .satisfies(ref -> assertThat(ref.getOptional()).isTrue());
    for (String role : List.of("serving", "worker")) {
      assertThat(container(chart.deployment(role)).getEnv())
          .extracting(EnvVar::getName)
          .doesNotContain("MODELHUB_ADMIN_KEY");
    }
    // The app bounds itself inside its volumes (it answers 507 before the kubelet evicts it).
    assertThat(env(chart.deployment("serving"), "MODELHUB_SERVING_CACHE_MAX_SIZE").getValue())
        .isEqualTo("24GB");
    assertThat(env(chart.deployment("api"), "MODELHUB_UPLOAD_MAX_SIZE").getValue())
        .as("a third of the 20Gi spool; unpacked, half of 80 %% of the 16Gi cache")
        .isEqualTo("6GB");
    assertThat(container(chart.deployment("serving")).getResources().getRequests())
        .containsEntry("ephemeral-storage", new Quantity("38Gi"))
        .containsEntry("cpu", new Quantity("2"));
    assertThat(chart.deployment("serving").getSpec().getProgressDeadlineSeconds()).isEqualTo(1800);
    // Without a proxy in front, forwarded headers are not trusted.
    assertThat(container(chart.deployment("api")).getEnv())
        .extracting(EnvVar::getName)
        .doesNotContain("SERVER_FORWARD_HEADERS_STRATEGY");
    assertThat(env(chart.deployment("api"), "SPRING_DATASOURCE_PASSWORD").getValueFrom())
        .satisfies(
            from -> {
              assertThat(from.getSecretKeyRef().getName()).isEqualTo("modelhub-database");
              assertThat(from.getSecretKeyRef().getKey()).isEqualTo("password");
            });
  }

  @Test
  void replica_counts_and_autoscalers_follow_values() {
    Rendered chart =
        render(
            t ->
                t.set("serving.autoscaling.enabled", false)
                    .set("serving.replicas", 5)
                    .set("api.replicas", 4)
                    .set("worker.autoscaling.enabled", true)
                    .set("worker.autoscaling.maxReplicas", 12)
                    .set("worker.autoscaling.queuedJobsPerWorker", 3)
                    .set("api.pdb.enabled", false));
    chart.checkEverywhere();
    assertThat(chart.deployment("serving").getSpec().getReplicas()).isEqualTo(5);
    assertThat(chart.deployment("api").getSpec().getReplicas()).isEqualTo(4);
    assertThat(chart.all(HorizontalPodAutoscaler.class))
        .extracting(h -> h.getMetadata().getName())
        .containsExactly("modelhub-worker");
    HorizontalPodAutoscaler workers = chart.hpa("worker");
    assertThat(workers.getSpec().getMaxReplicas()).isEqualTo(12);
    var external = workers.getSpec().getMetrics().get(0).getExternal();
    assertThat(external.getMetric().getName()).isEqualTo("modelhub_jobs_queued");
    assertThat(external.getTarget().getAverageValue()).isEqualTo(new Quantity("3"));
    assertThat(chart.deployment("worker").getSpec().getReplicas())
        .as("left to the autoscaler")
        .isNull();
    assertThat(chart.all(PodDisruptionBudget.class))
        .extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("modelhub-serving", "modelhub-worker");
  }

  @Test
  void dev_values_add_postgres_and_minio_with_generated_credentials_only() {
    // As installed, the Secret is a pre-install hook (kept across upgrades); Helm leaves hooks
    // out of the release's manifest, so it is checked here rendered as an ordinary resource.
    Rendered hooked = render(t -> t.withValuesFile(DEV));
    assertThat(hooked.kinds()).doesNotContainKey("Secret");
    Rendered chart = render(t -> t.withValuesFile(DEV).set("dev.credentialsHook", false));
    hooked.checkEverywhere();
    assertThat(hooked.kinds()).containsEntry("Deployment", 5L);
    assertThat(chart.kinds())
        .containsEntry("Deployment", 5L)
        .containsEntry("Secret", 1L)
        .containsEntry("Job", 1L)
        .doesNotContainKey("PodDisruptionBudget")
        .doesNotContainKey("HorizontalPodAutoscaler");
    chart.checkEverywhere();
    Secret generated = chart.all(Secret.class).get(0);
    assertThat(generated.getData())
        .containsOnlyKeys(
            "postgres-user",
            "postgres-password",
            "minio-root-user",
            "minio-root-password",
            "s3-access-key",
            "s3-secret-key",
            "admin-key");
    // The generated passwords and keys appear nowhere but in the Secret, not even encoded.
    for (String key :
        List.of("postgres-password", "minio-root-password", "s3-secret-key", "admin-key")) {
      String encoded = generated.getData().get(key);
      String plain = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
      assertThat(plain.length()).isGreaterThanOrEqualTo(32);
      assertThat(chart.text().split(Pattern.quote(encoded), -1)).hasSize(2);
      assertThat(chart.text()).doesNotContain(plain);
    }
    // Every secret reference resolves to a key of the generated Secret.
    for (Container container : chart.containers()) {
      for (EnvVar env : container.getEnv()) {
        if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
          assertThat(env.getValueFrom().getSecretKeyRef().getName())
              .isEqualTo(generated.getMetadata().getName());
          assertThat(generated.getData())
              .containsKey(env.getValueFrom().getSecretKeyRef().getKey());
        }
      }
    }
    assertThat(env(chart.deployment("api"), "SPRING_DATASOURCE_URL").getValue())
        .isEqualTo("jdbc:postgresql://modelhub-postgresql:5432/modelhub?currentSchema=modelhub");
    assertThat(env(chart.deployment("api"), "MODELHUB_STORAGE_ENDPOINT").getValue())
        .isEqualTo("http://modelhub-minio:9000");
    assertThat(chart.all(Service.class))
        .extracting(s -> s.getMetadata().getName())
        .contains("modelhub-postgresql", "modelhub-minio");
  }

  @Test
  void the_production_example_adds_ingress_jwt_and_service_monitor() {
    Rendered chart = render(t -> t.withValuesFile(PRODUCTION));
    assertThat(chart.kinds())
        .containsEntry("Deployment", 3L)
        .containsEntry("HorizontalPodAutoscaler", 3L)
        .containsEntry("Ingress", 1L)
        .containsEntry("ServiceMonitor", 1L)
        .containsEntry("NetworkPolicy", 1L)
        .doesNotContainKey("Secret");
    chart.checkEverywhere();
    for (String role : ROLES) {
      Deployment deployment = chart.deployment(role);
      assertThat(container(deployment).getImage())
          .isEqualTo("registry.example.com/ml/modelhub:0.1.0");
      assertThat(env(deployment, "SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI").getValue())
          .isEqualTo("https://login.example.com/realms/ml");
      assertThat(env(deployment, "MODELHUB_SECURITY_JWT_ROLE_CLAIM").getValue())
          .isEqualTo("modelhub_role");
      // Behind the Ingress: clients' addresses from X-Forwarded-For, from the proxies only.
      assertThat(env(deployment, "SERVER_FORWARD_HEADERS_STRATEGY").getValue()).isEqualTo("native");
      assertThat(env(deployment, "SERVER_TOMCAT_REMOTEIP_INTERNAL_PROXIES").getValue())
          .isEqualTo("10\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }
    assertThat(
            chart.hpa("worker").getSpec().getMetrics().get(0).getExternal().getMetric().getName())
        .isEqualTo("modelhub_jobs_queued");
    Ingress ingress = chart.all(Ingress.class).get(0);
    Map<String, String> backends =
        ingress.getSpec().getRules().get(0).getHttp().getPaths().stream()
            .collect(
                Collectors.toMap(
                    HTTPIngressPath::getPath, p -> p.getBackend().getService().getName()));
    assertThat(backends)
        .containsEntry("/v2", "modelhub-serving")
        .containsEntry("/v1/models", "modelhub-serving")
        .containsEntry("/api/v1/models/digits-cnn/predict", "modelhub-serving")
        .containsEntry("/", "modelhub-api");
    assertThat(ingress.getMetadata().getAnnotations())
        .containsEntry("nginx.ingress.kubernetes.io/proxy-body-size", "0");
    assertThat(ingress.getSpec().getTls().get(0).getSecretName()).isEqualTo("modelhub-tls");
    // The management port is on no Service but the headless, cluster-internal one.
    for (Service service : chart.all(Service.class)) {
      boolean management =
          service.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals("management"));
      assertThat(management)
          .as(service.getMetadata().getName())
          .isEqualTo(service.getMetadata().getName().equals("modelhub-management"));
    }
    assertThat(chart.named(Service.class, "modelhub-management").getSpec().getClusterIP())
        .isEqualTo("None");
    NetworkPolicy policy = chart.all(NetworkPolicy.class).get(0);
    assertThat(policy.getSpec().getIngress())
        .anySatisfy(
            rule -> {
              assertThat(rule.getPorts().get(0).getPort().getStrVal()).isEqualTo("management");
              assertThat(rule.getFrom()).isNotEmpty();
            });
    var egress = policy.getSpec().getEgress();
    assertThat(egress.get(0).getPorts()).extracting(p -> p.getPort().getIntVal()).contains(53);
    assertThat(egress.get(1).getTo().get(0).getIpBlock().getExcept())
        .containsExactly("169.254.0.0/16", "100.100.100.200/32");
    assertThat(egress.get(1).getTo().get(1).getIpBlock().getExcept())
        .containsExactly("fd00:ec2::254/128", "fe80::/10");
    assertThat(policy.getSpec().getIngress().get(0).getFrom())
        .as("HTTP (and with it X-Forwarded-For) from the Ingress controller only")
        .isNotEmpty();
    assertThat(env(chart.deployment("api"), "MODELHUB_UPLOAD_MAX_SIZE").getValue())
        .isEqualTo("40GB");
  }

  @Test
  void the_chart_runs_the_same_bucket_script_as_docker_compose() throws Exception {
    assertThat(Files.readString(CHART.resolve("files/minio-init.sh")))
        .isEqualTo(Files.readString(Path.of("docker/minio-init.sh")));
  }

  private static Rendered render(UnaryOperator<TemplateCommand> values) {
    String text =
        values.apply(new Helm(CHART).template().withName("modelhub").withNamespace("ml")).call();
    List<HasMetadata> resources = new ArrayList<>();
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    for (Object document : yaml.loadAll(text)) {
      if (document != null) {
        resources.add((HasMetadata) JSON.convertValue(document, KubernetesResource.class));
      }
    }
    return new Rendered(text, resources);
  }

  private static Container container(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static EnvVar env(Deployment deployment, String name) {
    return container(deployment).getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " is not set"));
  }

  private record Rendered(String text, List<HasMetadata> resources) {

    Map<String, Long> kinds() {
      return resources.stream()
          .collect(
              Collectors.groupingBy(HasMetadata::getKind, TreeMap::new, Collectors.counting()));
    }

    <T> List<T> all(Class<T> type) {
      return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    Deployment deployment(String role) {
      return named(Deployment.class, "modelhub-" + role);
    }

    HorizontalPodAutoscaler hpa(String role) {
      return named(HorizontalPodAutoscaler.class, "modelhub-" + role);
    }

    <T extends HasMetadata> T named(Class<T> type, String name) {
      return all(type).stream()
          .filter(r -> r.getMetadata().getName().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    List<PodSpec> pods() {
      List<PodSpec> pods = new ArrayList<>();
      all(Deployment.class).forEach(d -> pods.add(d.getSpec().getTemplate().getSpec()));
      all(Job.class).forEach(j -> pods.add(j.getSpec().getTemplate().getSpec()));
      return pods;
    }

    List<Container> containers() {
      return pods().stream().flatMap(p -> p.getContainers().stream()).toList();
    }

    /** What must hold in every rendering, whatever the values. */
    void checkEverywhere() {
      assertThat(resources).allSatisfy(r -> assertThat(r.getMetadata().getName()).isNotBlank());
      for (PodSpec pod : pods()) {
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType())
            .isEqualTo("RuntimeDefault");
        for (Container container : pod.getContainers()) {
          var security = container.getSecurityContext();
          assertThat(security.getReadOnlyRootFilesystem()).as(container.getName()).isTrue();
          assertThat(security.getAllowPrivilegeEscalation()).as(container.getName()).isFalse();
          assertThat(security.getRunAsNonRoot()).as(container.getName()).isTrue();
          assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
          assertThat(security.getCapabilities().getAdd()).isNullOrEmpty();
          assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
          assertThat(container.getResources().getLimits()).containsKey("memory");
          for (EnvVar env : container.getEnv()) {
            if (container.getName().equals("modelhub") && env.getName().startsWith("MODELHUB_")) {
              assertThat(SettingNames.exists(env.getName()))
                  .as("%s of %s is a Modelhub setting", env.getName(), container.getName())
                  .isTrue();
            }
            if (SECRET_NAME.matcher(env.getName()).find()) {
              assertThat(env.getValue())
                  .as(
                      "%s of %s comes from a Secret, not a value",
                      env.getName(), container.getName())
                  .isNull();
              assertThat(env.getValueFrom().getSecretKeyRef()).isNotNull();
            }
          }
        }
      }
      for (Deployment deployment : all(Deployment.class)) {
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        for (Container container : pod.getContainers()) {
          assertThat(container.getLivenessProbe()).as(container.getName()).isNotNull();
          assertThat(container.getReadinessProbe()).as(container.getName()).isNotNull();
        }
        for (Volume volume : pod.getVolumes()) {
          if (volume.getEmptyDir() != null && !volume.getName().matches("run|tmp")) {
            assertThat(volume.getEmptyDir().getSizeLimit()).as(volume.getName()).isNotNull();
          }
        }
        // Every Deployment's pods are what some selector of it picks.
        assertThat(pod.getContainers()).isNotEmpty();
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
            .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
      }
      for (String role : ROLES) {
        checkRole(role);
      }
      for (Service service : all(Service.class)) {
        assertThat(all(Deployment.class))
            .as("a Deployment behind Service %s", service.getMetadata().getName())
            .anyMatch(
                d ->
                    d.getSpec()
                        .getTemplate()
                        .getMetadata()
                        .getLabels()
                        .entrySet()
                        .containsAll(service.getSpec().getSelector().entrySet()));
      }
      for (HorizontalPodAutoscaler hpa : all(HorizontalPodAutoscaler.class)) {
        named(Deployment.class, hpa.getSpec().getScaleTargetRef().getName());
      }
    }

    private void checkRole(String role) {
      Deployment deployment = deployment(role);
      Container container = container(deployment);
      PodSpec pod = deployment.getSpec().getTemplate().getSpec();
      assertThat(env(deployment, "MODELHUB_ROLES").getValue()).isEqualTo(role);
      assertThat(NodeRole.valueOf(role.toUpperCase(java.util.Locale.ROOT)).label()).isEqualTo(role);
      assertThat(container.getStartupProbe()).as(role + " startup probe").isNotNull();
      if (role.equals("serving")) {
        var startup = container.getStartupProbe();
        assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold())
            .as("serving extracts the engines' natives on its first start: 5 minutes at least")
            .isGreaterThanOrEqualTo(300);
      }
      // The grace period covers the preStop delay and the app's own shutdown phase.
      int shutdown =
          Integer.parseInt(
              env(deployment, "SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE")
                  .getValue()
                  .replace("s", ""));
      int preStop =
          Integer.parseInt(container.getLifecycle().getPreStop().getExec().getCommand().get(1));
      assertThat(pod.getTerminationGracePeriodSeconds())
          .as("two shutdown phases and the preStop delay")
          .isGreaterThan(2L * shutdown + preStop);
      assertThat(container.getResources().getRequests()).containsKey("ephemeral-storage");
      // The writable paths are emptyDir volumes; nothing else is writable.
      Map<String, String> mounts =
          container.getVolumeMounts().stream()
              .collect(Collectors.toMap(m -> m.getMountPath(), m -> m.getName()));
      assertThat(mounts)
          .containsOnlyKeys(
              "/var/lib/modelhub/spool",
              "/var/lib/modelhub/cache",
              "/var/lib/modelhub/engines",
              "/tmp");
      assertThat(env(deployment, "MODELHUB_STORAGE_SPOOL_DIR").getValue())
          .isEqualTo("/var/lib/modelhub/spool");
      assertThat(env(deployment, "MODELHUB_SERVING_CACHE_DIR").getValue())
          .isEqualTo("/var/lib/modelhub/cache");
      assertThat(env(deployment, "MODELHUB_SERVING_ENGINE_CACHE_DIR").getValue())
          .isEqualTo("/var/lib/modelhub/engines");
      assertThat(pod.getVolumes())
          .allSatisfy(v -> assertThat(v.getEmptyDir()).as(v.getName()).isNotNull());
      // Probes on the management port, which no Ingress routes to.
      assertThat(container.getReadinessProbe().getHttpGet().getPath())
          .isEqualTo("/actuator/health/readiness");
      Optional<Integer> http =
          container.getPorts().stream()
              .filter(p -> p.getName().equals("http"))
              .map(p -> p.getContainerPort())
              .findFirst();
      assertThat(http.isPresent()).as(role + " takes traffic").isEqualTo(!role.equals("worker"));
    }
  }
}
