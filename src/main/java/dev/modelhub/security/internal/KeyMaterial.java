package dev.modelhub.security.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The shape of API keys: {@code mh_} and 48 random base-62 characters (285 bits). The first 12
 * characters of a generated key are its prefix, stored in clear to find its row; a key an operator
 * chose ({@code MODELHUB_ADMIN_KEY}) is found by the start of its hash instead, so that no part of
 * it is stored. The whole key is stored only as its SHA-256. Keys are long random strings, so a
 * fast hash is enough (nothing to brute-force) and a constant-time comparison keeps the check from
 * leaking how much of a guess was right.
 */
public final class KeyMaterial {

  public static final String KEY_START = "mh_";
  public static final int PREFIX_LENGTH = 12;
  public static final int MIN_CONFIGURED_LENGTH = 32;
  private static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final int RANDOM_CHARS = 48;

  private final SecureRandom random = new SecureRandom();

  /** A new random key. */
  public String generate() {
    StringBuilder key = new StringBuilder(KEY_START);
    for (int i = 0; i < RANDOM_CHARS; i++) {
      key.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return key.toString();
  }

  /** Characters a configured key may hold: a bearer token's (RFC 6750), without dots. */
  public static final String CONFIGURED_PATTERN = "[A-Za-z0-9_~+/=-]{32,200}";

  /** The non-secret part a key's row is found by; null for a string too short to be a key. */
  public static String prefix(String key) {
    if (key == null || key.length() < MIN_CONFIGURED_LENGTH) {
      return null;
    }
    return key.startsWith(KEY_START)
        ? key.substring(0, PREFIX_LENGTH)
        : "h:" + hash(key).substring(0, 10);
  }

  /** The hex SHA-256 of a key, as stored. */
  public static String hash(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /**
   * Compares a presented key with a stored hash in time that does not depend on where they differ.
   */
  public static boolean matches(String key, String storedHash) {
    return MessageDigest.isEqual(
        hash(key).getBytes(StandardCharsets.US_ASCII),
        storedHash.getBytes(StandardCharsets.US_ASCII));
  }
}
