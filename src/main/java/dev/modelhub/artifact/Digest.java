package dev.modelhub.artifact;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The SHA-256 of an artifact's bytes: its identity, its ETag, and (through {@link #objectKey()})
 * where it is stored.
 *
 * @param hex 64 lowercase hex characters
 */
public record Digest(String hex) {

  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  private static final String PREFIX = "sha256:";

  public Digest {
    if (hex == null || !HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("not a SHA-256 hex digest: " + hex);
    }
  }

  /** A fresh SHA-256 hasher (every JVM has one). */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  public static Digest of(byte[] sha256) {
    return new Digest(HexFormat.of().formatHex(sha256));
  }

  /** Parses the {@code sha256:<hex>} form used in the API and the database. */
  public static Digest parse(String value) {
    if (value == null || !value.startsWith(PREFIX)) {
      throw new IllegalArgumentException("digest must look like sha256:<hex>: " + value);
    }
    return new Digest(value.substring(PREFIX.length()));
  }

  /** Where the blob lives in the bucket: {@code sha256/<first two hex>/<hex>}. */
  public String objectKey() {
    return "sha256/" + hex.substring(0, 2) + "/" + hex;
  }

  @Override
  public String toString() {
    return PREFIX + hex;
  }
}
