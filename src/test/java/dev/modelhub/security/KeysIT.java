package dev.modelhub.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.TestSecrets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Keys through the API: shown once, stored as a hash, limited to models, revoked, refused. */
class KeysIT extends IntegrationTest {

  @Test
  void a_key_is_shown_once_stored_as_a_hash_and_works_until_revoked() {
    String name = uniqueName("pipeline");
    Response created =
        api.postJson(
            "/api/v1/keys", Map.of("name", name, "role", "deployer", "models", List.of("fraud-*")));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String key = created.json().get("key").asString();
    JsonNode details = created.json().get("details");
    assertThat(key).startsWith("mh_").hasSize(51);
    assertThat(details.get("prefix").asString()).isEqualTo(key.substring(0, 12));
    assertThat(details.get("role").asString()).isEqualTo("deployer");
    assertThat(created.header("Location")).isEqualTo("/api/v1/keys/" + details.get("id").asLong());

    // Only the hash is stored, and no listing shows the secret.
    String stored =
        jdbc.sql("select hash from api_key where id = ?")
            .param(details.get("id").asLong())
            .query(String.class)
            .single();
    assertThat(stored).hasSize(64).doesNotContain(key.substring(12));
    assertThat(api.get("/api/v1/keys").text()).contains(name).doesNotContain(key);
    assertThat(api.get("/api/v1/keys/" + details.get("id").asLong()).text()).doesNotContain(key);

    Api pipeline = api.as(key);
    assertThat(pipeline.get("/api/v1/models?size=1").status()).isEqualTo(200);
    assertThat(
            api.get("/api/v1/keys/" + details.get("id").asLong()).json().get("lastUsedAt").isNull())
        .isFalse();

    assertThat(api.delete("/api/v1/keys/" + details.get("id").asLong()).status()).isEqualTo(204);
    Response after = pipeline.get("/api/v1/models?size=1");
    assertThat(after.status()).isEqualTo(401);
    assertThat(after.header("WWW-Authenticate")).contains("invalid_token");
    JsonNode revoked = api.get("/api/v1/keys?includeRevoked=true").json();
    assertThat(revoked.toString()).contains(name);
    assertThat(api.get("/api/v1/keys").json().toString()).doesNotContain(name);
  }

  @Test
  void unknown_expired_and_revoked_keys_get_the_same_answer() {
    String expiring = expiredKey(uniqueName("expiring"), "viewer");
    String revoked = revokedKey(uniqueName("revoked"), "viewer");
    String wrongSecret = revoked.substring(0, 12) + "A".repeat(revoked.length() - 12);
    List<String> bodies = new ArrayList<>();
    for (String key :
        List.of("mh_unknownunknownunknownunknownunknown", expiring, revoked, wrongSecret)) {
      Response response = api.as(key).get("/api/v1/models");
      assertThat(response.status()).isEqualTo(401);
      JsonNode problem = response.json();
      bodies.add(problem.get("type").asString() + "|" + problem.get("detail").asString());
    }
    assertThat(bodies).containsOnly(bodies.get(0));
    Response missing = api.anonymous().get("/api/v1/models");
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"modelhub\"");
    assertThat(missing.header("Content-Type")).startsWith("application/problem+json");
  }

  @Test
  void a_key_limited_to_patterns_sees_and_touches_only_those_models() {
    String prefix = uniqueName("vision");
    String visible = prefix + "-cat";
    String hidden = uniqueName("fraud");
    for (String model : List.of(visible, hidden)) {
      assertThat(api.upload(model, OnnxModels.mlp(41, 8, 4).toByteArray(), null).status())
          .isEqualTo(201);
    }
    Api limited = api.as(createKey(uniqueName("vision-team"), "publisher", prefix + "-*"));

    JsonNode listed = limited.get("/api/v1/models?size=200").json();
    List<String> names = new ArrayList<>();
    listed.get("items").forEach(m -> names.add(m.get("name").asString()));
    assertThat(names).contains(visible).doesNotContain(hidden);
    assertThat(listed.get("totalItems").asInt()).isEqualTo(names.size());

    assertThat(limited.get("/api/v1/models/" + visible).status()).isEqualTo(200);
    Response other = limited.get("/api/v1/models/" + hidden);
    assertThat(other.status()).isEqualTo(403);
    assertThat(other.json().get("detail").asString()).contains(prefix + "-*");
    assertThat(limited.upload(hidden, OnnxModels.mlp(42, 8, 4).toByteArray(), null).status())
        .isEqualTo(403);
    assertThat(limited.upload(visible, OnnxModels.mlp(43, 8, 4).toByteArray(), null).status())
        .isEqualTo(201);
    // Keys and the audit trail are for keys that are not limited to models.
    assertThat(limited.get("/api/v1/keys").status()).isEqualTo(403);

    long job = optimizeJob(hidden);
    assertThat(limited.get("/api/v1/jobs/" + job).status()).isEqualTo(403);
    JsonNode jobs = limited.get("/api/v1/jobs?size=200").json();
    jobs.get("items").forEach(j -> assertThat(j.get("model").asString()).startsWith(prefix));
  }

  @Test
  void key_requests_are_checked() {
    Response past =
        api.postJson(
            "/api/v1/keys",
            Map.of(
                "name",
                uniqueName("late"),
                "role",
                "viewer",
                "expiresAt",
                Instant.now().minusSeconds(5).toString()));
    assertThat(past.status()).isEqualTo(400);
    assertThat(past.json().get("detail").asString()).contains("expiresAt");
    Response badRole =
        api.postJson("/api/v1/keys", Map.of("name", uniqueName("x"), "role", "root"));
    assertThat(badRole.status()).isEqualTo(400);
    assertThat(badRole.json().get("detail").asString()).contains("role");
    Response badPattern =
        api.postJson(
            "/api/v1/keys",
            Map.of("name", uniqueName("x"), "role", "viewer", "models", List.of("../x")));
    assertThat(badPattern.status()).isEqualTo(400);
    String name = uniqueName("twice");
    createKey(name, "viewer");
    Response duplicate = api.postJson("/api/v1/keys", Map.of("name", name, "role", "viewer"));
    assertThat(duplicate.status()).isEqualTo(409);
    assertThat(api.delete("/api/v1/keys/987654321").status()).isEqualTo(404);
  }

  @Test
  void the_last_admin_key_for_all_models_cannot_be_revoked() {
    List<Long> others = new ArrayList<>();
    jdbc.sql(
            "select id from api_key where role = 'ADMIN' and revoked_at is null"
                + " and models = '[]'::jsonb and prefix <> ?")
        .param(TestSecrets.adminKey().substring(0, 12))
        .query(Long.class)
        .list()
        .forEach(others::add);
    // Other tests' admin keys are revoked first, so that the run's own is the last one.
    others.forEach(id -> assertThat(api.delete("/api/v1/keys/" + id).status()).isEqualTo(204));
    long own =
        jdbc.sql("select id from api_key where prefix = ?")
            .param(TestSecrets.adminKey().substring(0, 12))
            .query(Long.class)
            .single();
    Response refused = api.delete("/api/v1/keys/" + own);
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.json().get("type").asString()).endsWith("/last-admin-key");
    assertThat(api.get("/api/v1/keys").status()).isEqualTo(200);
  }

  private long optimizeJob(String model) {
    Response job =
        api.postJson(
            "/api/v1/models/" + model + "/versions/1/optimizations",
            Map.of("pass", "convert-fp16", "params", Map.of()));
    assertThat(job.status()).as(job.toString()).isEqualTo(202);
    return job.json().get("id").asLong();
  }
}
