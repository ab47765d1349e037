package dev.modelhub.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.modelhub.support.Api;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.IntegrationTest;
import dev.modelhub.support.TestSecrets;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * JWTs from the organisation's identity provider (here a key pair made by the test run): the role
 * and model patterns come from claims, the subject is the recorded actor.
 */
class JwtIT extends IntegrationTest {

  @Test
  void a_jwt_with_a_role_and_patterns_acts_as_its_subject_within_them() {
    String team = uniqueName("nlp");
    String subject = uniqueName("alice");
    Api alice =
        api.as(
            TestSecrets.jwt(
                Map.of(
                    "sub",
                    subject,
                    "modelhub_role",
                    List.of("viewer", "publisher"),
                    "modelhub_models",
                    team + "-*"),
                600));
    Response created = alice.postJson("/api/v1/models", Map.of("name", team + "-tagger"));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("createdBy").asString()).isEqualTo(subject);
    assertThat(alice.postJson("/api/v1/models", Map.of("name", uniqueName("other"))).status())
        .isEqualTo(403);
    // publisher is the highest role it holds: no alias moves.
    assertThat(
            alice
                .putJson(
                    "/api/v1/models/" + team + "-tagger/aliases/production", Map.of("version", 1))
                .status())
        .isEqualTo(403);
    Response events = api.get("/api/v1/audit?actor=" + subject + "&action=model.create");
    assertThat(events.json().get("items").get(0).get("actorKind").asString()).isEqualTo("jwt");
  }

  @Test
  void tokens_without_a_role_expired_or_signed_by_someone_else_are_refused() throws Exception {
    Response noRole = api.as(TestSecrets.jwt(Map.of("sub", "bob"), 600)).get("/api/v1/models");
    assertThat(noRole.status()).isEqualTo(403);

    Response expired =
        api.as(TestSecrets.jwt(Map.of("sub", "carol", "modelhub_role", "admin"), -60))
            .get("/api/v1/models");
    assertThat(expired.status()).isEqualTo(401);

    Response otherAudience =
        api.as(
                TestSecrets.jwt(
                    Map.of("sub", "erin", "modelhub_role", "admin", "aud", "another-app"), 600))
            .get("/api/v1/models");
    assertThat(otherAudience.status()).isEqualTo(401);

    Response badPatterns =
        api.as(
                TestSecrets.jwt(
                    Map.of(
                        "sub",
                        "dave",
                        "modelhub_role",
                        "admin",
                        "modelhub_models",
                        List.of("../etc")),
                    600))
            .get("/api/v1/models");
    assertThat(badPatterns.status()).isEqualTo(401);

    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    SignedJWT forged =
        new SignedJWT(
            new JWSHeader(JWSAlgorithm.RS256),
            new JWTClaimsSet.Builder()
                .subject("mallory")
                .claim("modelhub_role", "admin")
                .expirationTime(new Date(System.currentTimeMillis() + 600_000))
                .build());
    forged.sign(new RSASSASigner((RSAPrivateKey) generator.generateKeyPair().getPrivate()));
    Response forgedResponse = api.as(forged.serialize()).get("/api/v1/models");
    assertThat(forgedResponse.status()).isEqualTo(401);
    assertThat(forgedResponse.json().get("type").asString()).endsWith("/invalid-credentials");
  }
}
