package dev.modelhub.artifact.internal;

import dev.modelhub.artifact.StorageProperties;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The S3 credentials Modelhub signs requests with. There are no built-in ones: an external endpoint
 * needs both configured, and the embedded server makes up its own random pair at every start when
 * none is set (only this process talks to it).
 *
 * @param accessKey the access key
 * @param secretKey the secret key; never printed
 */
public record S3Credentials(String accessKey, String secretKey) {

  /** The credentials for {@code properties}; fails with a message naming what to set. */
  public static S3Credentials resolve(StorageProperties properties) {
    boolean hasAccess = notBlank(properties.accessKey());
    boolean hasSecret = notBlank(properties.secretKey());
    if (hasAccess && hasSecret) {
      return new S3Credentials(properties.accessKey(), properties.secretKey());
    }
    if (properties.usesEmbeddedServer() && !hasAccess && !hasSecret) {
      SecureRandom random = new SecureRandom();
      return new S3Credentials("modelhub-" + hex(random, 8), hex(random, 32));
    }
    throw new IllegalStateException(
        properties.usesEmbeddedServer()
            ? "Set both modelhub.storage.access-key and modelhub.storage.secret-key, or neither"
                + " (the embedded S3 server then makes up its own)."
            : "modelhub.storage.endpoint is set to an external S3 service, so set"
                + " modelhub.storage.access-key and modelhub.storage.secret-key"
                + " (MODELHUB_STORAGE_ACCESS_KEY, MODELHUB_STORAGE_SECRET_KEY) too.");
  }

  @Override
  public String toString() {
    return "S3Credentials[accessKey=" + accessKey + ", secretKey=***]";
  }

  private static boolean notBlank(String value) {
    return value != null && !value.isBlank();
  }

  private static String hex(SecureRandom random, int bytes) {
    byte[] value = new byte[bytes];
    random.nextBytes(value);
    return HexFormat.of().formatHex(value);
  }
}
