package dev.modelhub.web;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.authentication;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.model;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.view;

import dev.modelhub.common.PageView;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.optimize.DatasetService;
import dev.modelhub.optimize.OptimizationService;
import dev.modelhub.registry.AliasService;
import dev.modelhub.registry.AliasView;
import dev.modelhub.registry.ModelService;
import dev.modelhub.registry.ModelView;
import dev.modelhub.registry.VersionService;
import dev.modelhub.registry.VersionStatus;
import dev.modelhub.registry.VersionView;
import dev.modelhub.security.AuditLog;
import dev.modelhub.security.AuditQuery;
import dev.modelhub.security.Caller;
import dev.modelhub.security.DashboardSliceSecurity;
import dev.modelhub.security.KeyService;
import dev.modelhub.security.ModelScope;
import dev.modelhub.security.Role;
import dev.modelhub.security.internal.AdminKeyBootstrap;
import dev.modelhub.security.internal.ApiKeyStore;
import dev.modelhub.security.internal.CallerAuthentication;
import dev.modelhub.security.internal.Identity;
import dev.modelhub.security.internal.KeyAuthenticator;
import dev.modelhub.serving.InferenceService;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.SlotState;
import dev.modelhub.serving.SlotStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.RequestPostProcessor;

/** The dashboard's page controllers in a web slice: status, model, rendered controls by role. */
@WebMvcTest(
    controllers = {ModelPages.class, VersionPages.class, JobPages.class, OperatorPages.class})
@Import(DashboardSliceSecurity.class)
@TestPropertySource(properties = "modelhub.roles=api,worker")
@MockitoBean(types = {ApiKeyStore.class, KeyService.class, AdminKeyBootstrap.class})
class DashboardPagesTest {

  @MockitoBean KeyAuthenticator keys;
  @MockitoBean AuditLog audit;
  @MockitoBean ServingProperties serving;
  @MockitoBean InferenceService node;
  @MockitoBean Traffic traffic;

  @Autowired MockMvc mvc;
  @MockitoBean ModelService models;
  @MockitoBean VersionService versions;
  @MockitoBean AliasService aliases;
  @MockitoBean OptimizationService optimizations;
  @MockitoBean DatasetService datasets;

  private static final Instant AT = Instant.parse("2026-11-29T12:00:00Z");

  @BeforeEach
  void registry() {
    when(serving.aliases()).thenReturn(List.of("production", "staging"));
    VersionView v1 = version(1, null, List.of("production"));
    VersionView v2 = version(2, 1, List.of());
    ModelView digits =
        new ModelView(
            "digits",
            "handwritten",
            Map.of("team", "vision"),
            Map.of("production", 1),
            v2,
            AT,
            "alice",
            AT);
    when(models.list(anyString(), any(), anyInt(), anyInt()))
        .thenReturn(PageView.of(List.of(digits), 0, 25, 1));
    when(models.get("digits")).thenReturn(digits);
    when(versions.list(eq("digits"), anyInt(), anyInt()))
        .thenReturn(PageView.of(List.of(v2, v1), 0, 50, 2));
    when(versions.get("digits", 1)).thenReturn(v1);
    when(versions.get("digits", 2)).thenReturn(v2);
    when(aliases.list("digits"))
        .thenReturn(
            List.of(new AliasView("digits", "production", 1, "sha256:aa", null, AT, "bob")));
    when(aliases.history(anyString(), anyString(), anyInt(), anyInt()))
        .thenReturn(PageView.of(List.of(), 0, 10, 0));
    when(optimizations.passDefaults())
        .thenReturn(Map.of("quantize-int8-dynamic", "{\"perChannel\":false}"));
  }

  @Test
  void models_page_lists_models_with_their_aliases_and_tags() throws Exception {
    mvc.perform(get("/ui").param("query", "team=vision").with(as(Role.VIEWER)))
        .andExpect(status().isOk())
        .andExpect(view().name("models"))
        .andExpect(model().attribute("query", "team=vision"))
        .andExpect(content().string(org.hamcrest.Matchers.containsString("team=vision")))
        .andExpect(content().string(org.hamcrest.Matchers.containsString("/ui/models/digits")));
    verify(models).list(eq("team=vision"), any(), eq(0), eq(25));
  }

  @Test
  void a_viewer_sees_no_promote_or_upload_control_and_a_deployer_does() throws Exception {
    String viewer = page("/ui/models/digits", Role.VIEWER);
    org.assertj.core.api.Assertions.assertThat(viewer)
        .contains("v1")
        .doesNotContain("promote-production")
        .doesNotContain("Upload a version");
    String deployer = page("/ui/models/digits", Role.DEPLOYER);
    org.assertj.core.api.Assertions.assertThat(deployer)
        .contains("id=\"promote-production\"")
        .contains("Upload a version");
  }

  @Test
  void the_lineage_puts_a_variant_under_its_parent_with_its_pass() throws Exception {
    String html = page("/ui/models/digits", Role.VIEWER);
    org.assertj.core.api.Assertions.assertThat(html.replaceAll("\\s+", " "))
        .containsPattern(
            "v1</a>.*<ul class=\"tree\">.*v2</a>.*quantize-int8-dynamic perChannel=true");
  }

  @Test
  void promotion_needs_a_deployer_and_goes_through_the_service() throws Exception {
    mvc.perform(
            post("/ui/models/digits/aliases/production")
                .param("version", "2")
                .with(csrf())
                .with(as(Role.PUBLISHER)))
        .andExpect(status().isForbidden());
    verify(aliases, never()).move(anyString(), anyString(), anyInt(), anyBoolean(), any());
    when(aliases.move(eq("digits"), eq("production"), eq(2), eq(true), any()))
        .thenReturn(new AliasView("digits", "production", 2, "sha256:bb", 1, AT, "ci"));
    mvc.perform(
            post("/ui/models/digits/aliases/production")
                .param("version", "2")
                .param("force", "true")
                .with(csrf())
                .with(as(Role.DEPLOYER)))
        .andExpect(status().isFound())
        .andExpect(redirectedUrl("/ui/models/digits"));
    verify(aliases).move(eq("digits"), eq("production"), eq(2), eq(true), any());
  }

  @Test
  void a_version_page_shows_its_pipeline_steps_and_labels() throws Exception {
    org.assertj.core.api.Assertions.assertThat(page("/ui/models/digits/versions/2", Role.VIEWER))
        .contains("<h2>Pipeline</h2>")
        .contains("11 labels: zero, one, two, three, four, five, six, seven, eight, nine, …")
        .contains("resize")
        .contains(
            "{&quot;width&quot;:8,&quot;height&quot;:8,&quot;interpolation&quot;:&quot;bilinear&quot;}")
        .contains("softmax");
    org.assertj.core.api.Assertions.assertThat(page("/ui/models/digits/versions/1", Role.VIEWER))
        .doesNotContain("<h2>Pipeline</h2>");
  }

  @Test
  void an_unservable_version_is_marked_and_its_promotion_asks_to_force() throws Exception {
    org.assertj.core.api.Assertions.assertThat(page("/ui/models/digits", Role.VIEWER))
        .contains("not servable")
        .contains("Could not find an implementation for Frobnicate(1)");
    org.assertj.core.api.Assertions.assertThat(page("/ui/models/digits/versions/2", Role.VIEWER))
        .contains("Not servable")
        .contains("Could not find an implementation for Frobnicate(1)");
    org.assertj.core.api.Assertions.assertThat(page("/ui/models/digits/versions/1", Role.VIEWER))
        .contains("Servable: its engine")
        .doesNotContain("not servable");
    String promote = page("/ui/models/digits/aliases/production/promote?version=2", Role.DEPLOYER);
    org.assertj.core.api.Assertions.assertThat(promote)
        .contains("id=\"unservable\"")
        .contains("name=\"force\"");
    org.assertj.core.api.Assertions.assertThat(
            page("/ui/models/digits/aliases/production/promote?version=1", Role.DEPLOYER))
        .doesNotContain("name=\"force\"");
  }

  @Test
  void a_post_without_csrf_is_refused() throws Exception {
    mvc.perform(
            post("/ui/models/digits/aliases/production").param("version", "2").with(as(Role.ADMIN)))
        .andExpect(status().isForbidden())
        .andExpect(
            org.springframework.test.web.servlet.result.MockMvcResultMatchers.forwardedUrl(
                "/ui/form-expired"));
    verify(aliases, never()).move(anyString(), anyString(), anyInt(), anyBoolean(), any());
  }

  @Test
  void a_roll_back_of_an_alias_moved_meanwhile_changes_nothing() throws Exception {
    when(aliases.rollBackFrom(eq("digits"), eq("production"), eq(2), any()))
        .thenReturn(java.util.Optional.empty());
    mvc.perform(
            post("/ui/models/digits/aliases/production/rollback")
                .param("expected", "2")
                .with(csrf())
                .with(as(Role.DEPLOYER)))
        .andExpect(status().isFound())
        .andExpect(
            org.springframework.test.web.servlet.result.MockMvcResultMatchers.flash()
                .attribute("notice", org.hamcrest.Matchers.containsString("has moved")));
    verify(aliases, never()).move(anyString(), anyString(), anyInt(), anyBoolean(), any());
  }

  @Test
  void the_version_page_shows_the_report_against_the_parent_and_the_optimize_form_to_publishers()
      throws Exception {
    String html = page("/ui/models/digits/versions/2", Role.PUBLISHER);
    org.assertj.core.api.Assertions.assertThat(html)
        .contains("id=\"report\"")
        .contains("× 0.25")
        .contains("id=\"optimize-form\"")
        .contains("data-defaults=\"{&quot;perChannel&quot;:false}\"");
    org.assertj.core.api.Assertions.assertThat(page("/ui/models/digits/versions/2", Role.VIEWER))
        .contains("id=\"report\"")
        .doesNotContain("optimize-form");
  }

  @Test
  void an_unknown_model_is_a_404_page_in_words() throws Exception {
    when(models.get("nope"))
        .thenThrow(
            new dev.modelhub.common.NotFoundException(
                "model-not-found", "Model not found", "No model is named 'nope'."));
    when(versions.list(eq("nope"), anyInt(), anyInt()))
        .thenThrow(
            new dev.modelhub.common.NotFoundException(
                "model-not-found", "Model not found", "No model is named 'nope'."));
    mvc.perform(get("/ui/models/nope").with(as(Role.VIEWER)))
        .andExpect(status().isNotFound())
        .andExpect(view().name("problem"))
        .andExpect(
            content()
                .string(org.hamcrest.Matchers.containsString("No model is named &#39;nope&#39;.")));
  }

  @Test
  void without_a_session_pages_redirect_to_sign_in() throws Exception {
    mvc.perform(get("/ui/models/digits"))
        .andExpect(status().isFound())
        .andExpect(redirectedUrl("/ui/sign-in"));
  }

  @Test
  void jobs_are_filtered_by_model_status_and_pass() throws Exception {
    when(optimizations.list(any(), any(), any(), any(), anyInt(), anyInt()))
        .thenReturn(PageView.of(List.of(), 0, 25, 0));
    mvc.perform(
            get("/ui/jobs")
                .param("model", "digits")
                .param("status", "FAILED")
                .param("pass", "low-rank")
                .with(as(Role.VIEWER)))
        .andExpect(status().isOk())
        .andExpect(view().name("jobs"));
    verify(optimizations)
        .list(
            eq("digits"),
            eq(dev.modelhub.optimize.JobStatus.FAILED),
            eq("low-rank"),
            any(),
            eq(0),
            eq(25));
    mvc.perform(get("/ui/jobs").with(as(Role.VIEWER))).andExpect(status().isOk());
    verify(optimizations).list(isNull(), isNull(), isNull(), any(), eq(0), eq(25));
  }

  @Test
  void the_serving_page_shows_slots_with_traffic_and_marks_a_crashing_one() throws Exception {
    when(node.status())
        .thenReturn(
            List.of(
                new SlotStatus(
                    "digits",
                    "production",
                    1,
                    2,
                    SlotState.CRASHING,
                    AT,
                    "v2's engine stopped (SIGFPE in native code)",
                    AT,
                    0,
                    3,
                    2)));
    when(traffic.byModel()).thenReturn(Map.of("digits", new Traffic.Figures(120, 4.5, 1.25)));
    String html = page("/ui/serving", Role.VIEWER);
    org.assertj.core.api.Assertions.assertThat(html.replaceAll("\\s+", " "))
        .contains("class=\"bad\"")
        .contains("CRASHING (v2 crashed)")
        .contains("SIGFPE")
        .contains(">4.5<")
        .contains(">1.25<");
  }

  @Test
  void the_audit_page_is_for_admins_only() throws Exception {
    when(audit.list(any(), anyInt(), anyInt())).thenReturn(PageView.of(List.of(), 0, 50, 0));
    mvc.perform(get("/ui/audit").with(as(Role.DEPLOYER)))
        .andExpect(status().isForbidden())
        .andExpect(view().name("problem"));
    mvc.perform(get("/ui/audit").param("action", "alias.move").with(as(Role.ADMIN)))
        .andExpect(status().isOk())
        .andExpect(view().name("audit"));
    verify(audit)
        .list(eq(new AuditQuery(null, null, "alias.move", null, null, null, null)), eq(0), eq(50));
  }

  @Test
  void the_upload_page_is_for_publishers() throws Exception {
    mvc.perform(get("/ui/upload").with(as(Role.VIEWER))).andExpect(status().isForbidden());
    org.assertj.core.api.Assertions.assertThat(page("/ui/upload?model=digits", Role.PUBLISHER))
        .contains("id=\"upload-progress\"")
        .contains("value=\"digits\"");
  }

  private String page(String path, Role role) throws Exception {
    return mvc.perform(get(path).with(as(role)))
        .andExpect(status().isOk())
        .andReturn()
        .getResponse()
        .getContentAsString();
  }

  private static RequestPostProcessor as(Role role) {
    return authentication(
        new CallerAuthentication(
            new Identity("k-" + role.id(), Caller.Kind.KEY, role, ModelScope.ALL, 1L)));
  }

  private static VersionView version(int number, Integer parent, List<String> aliases) {
    var lineage =
        parent == null
            ? null
            : tools.jackson.databind.json.JsonMapper.shared()
                .readTree(
                    "{\"pass\":\"quantize-int8-dynamic\",\"params\":{\"perChannel\":true,\"exclude\":[]}}");
    var report =
        parent == null
            ? null
            : tools.jackson.databind.json.JsonMapper.shared()
                .readTree(
                    "{\"evaluatedOn\":\"dataset:test (450 samples)\",\"parent\":{\"version\":1,\"sizeBytes\":200000,\"parameterCount\":50826,\"latencyMs\":{\"p50\":0.02,\"p95\":0.04},\"accuracy\":0.97},"
                        + "\"variant\":{\"sizeBytes\":50000,\"parameterCount\":50832,\"latencyMs\":{\"p50\":0.02,\"p95\":0.05},\"accuracy\":0.96},\"agreement\":{\"top1Agreement\":0.99,\"maxAbsDiff\":0.3,\"meanAbsDiff\":0.01}}");
    return new VersionView(
        "digits",
        number,
        ModelFormat.ONNX,
        "sha256:" + "ab".repeat(32),
        number == 1 ? 200000 : 50000,
        "m.onnx",
        new ModelSignature(
            List.of(new TensorSpec("input", Datatype.FP32, List.of(-1L, 64L))),
            List.of(new TensorSpec("logits", Datatype.FP32, List.of(-1L, 10L)))),
        50826L,
        null,
        null,
        Map.of(),
        VersionStatus.READY,
        aliases,
        parent,
        parent == null ? null : 7L,
        lineage,
        report,
        AT,
        "alice",
        AT,
        false,
        null,
        number == 2
            ? new dev.modelhub.format.Pipeline(
                null,
                null,
                List.of(
                    new dev.modelhub.format.Pipeline.Decode(
                        dev.modelhub.format.Pipeline.Color.grayscale, null),
                    new dev.modelhub.format.Pipeline.Resize(8, 8, null, null)),
                List.of(new dev.modelhub.format.Pipeline.Softmax()),
                List.of(
                    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                    "ten"))
            : null,
        number == 1,
        number == 1 ? null : "OrtException: Could not find an implementation for Frobnicate(1)");
  }
}
