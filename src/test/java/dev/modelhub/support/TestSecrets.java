package dev.modelhub.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.Map;

/**
 * The secrets a test run configures, made up at random per JVM: the admin key, the database
 * password (local PostgreSQL trusts 127.0.0.1, so any password connects), the S3 credentials, and
 * an RSA key pair standing in for an OIDC provider. Every one is registered with {@link SecretScan}
 * so the run proves none of them reaches a log or a response.
 */
public final class TestSecrets {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ADMIN_KEY = "mh_test" + hex(24);
  private static final String DB_PASSWORD = "db-" + hex(16);
  private static final String S3_ACCESS_KEY = "test-" + hex(6);
  private static final String S3_SECRET_KEY = "s3-" + hex(20);
  private static final KeyPair JWT_KEYS = rsa();
  private static Path publicKeyFile;

  static {
    SecretScan.register(ADMIN_KEY);
    SecretScan.register(DB_PASSWORD);
    SecretScan.register(S3_SECRET_KEY);
    SecretScan.register(
        Base64.getEncoder().encodeToString(JWT_KEYS.getPrivate().getEncoded()).substring(0, 64));
  }

  private TestSecrets() {}

  /** The audience the test's identity provider issues Modelhub's tokens for ("aud" overrides). */
  public static final String AUDIENCE = "modelhub";

  public static String adminKey() {
    return ADMIN_KEY;
  }

  public static String dbPassword() {
    return DB_PASSWORD;
  }

  public static String s3AccessKey() {
    return S3_ACCESS_KEY;
  }

  public static String s3SecretKey() {
    return S3_SECRET_KEY;
  }

  /** A PEM file with the public key JWTs are verified with (written once per run). */
  public static synchronized Path jwtPublicKey(Path dir) {
    if (publicKeyFile == null) {
      String pem =
          "-----BEGIN PUBLIC KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(JWT_KEYS.getPublic().getEncoded())
              + "\n-----END PUBLIC KEY-----\n";
      try {
        publicKeyFile = Files.writeString(dir.resolve("jwt-public.pem"), pem);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return publicKeyFile;
  }

  /**
   * A JWT signed by the test's identity provider, valid for {@code seconds}, with {@code claims}.
   */
  public static String jwt(Map<String, Object> claims, long seconds) {
    JWTClaimsSet.Builder builder =
        new JWTClaimsSet.Builder()
            .issueTime(Date.from(Instant.now()))
            .expirationTime(Date.from(Instant.now().plusSeconds(seconds)))
            .audience(AUDIENCE);
    claims.forEach(builder::claim);
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), builder.build());
    try {
      jwt.sign(new RSASSASigner((RSAPrivateKey) JWT_KEYS.getPrivate()));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    String token = jwt.serialize();
    SecretScan.register(token);
    return token;
  }

  private static KeyPair rsa() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(int bytes) {
    byte[] value = new byte[bytes];
    RANDOM.nextBytes(value);
    return HexFormat.of().formatHex(value);
  }
}
