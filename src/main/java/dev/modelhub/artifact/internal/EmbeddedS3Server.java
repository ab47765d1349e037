package dev.modelhub.artifact.internal;

import dev.modelhub.artifact.StorageProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An S3 server on a local folder (s3proxy with its NIO.2 filesystem store), so that a machine with
 * only Postgres runs Modelhub with the same MinIO-client code path as production: real HTTP, real
 * signatures, real multipart uploads.
 */
public final class EmbeddedS3Server implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedS3Server.class);

  private final S3Proxy proxy;
  private final BlobStoreContext context;
  private final String endpoint;

  private EmbeddedS3Server(S3Proxy proxy, BlobStoreContext context, String endpoint) {
    this.proxy = proxy;
    this.context = context;
    this.endpoint = endpoint;
  }

  /** Starts a server for the given settings; returns once it accepts connections. */
  public static EmbeddedS3Server start(StorageProperties properties, S3Credentials credentials) {
    StorageProperties.Embedded settings = properties.embedded();
    Path dataDir = settings.dataDir().toAbsolutePath().normalize();
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create embedded S3 folder " + dataDir, e);
    }
    Properties overrides = new Properties();
    overrides.setProperty("jclouds.filesystem.basedir", dataDir.toString());
    BlobStoreContext context =
        ContextBuilder.newBuilder("filesystem-nio2")
            .overrides(overrides)
            .credentials(credentials.accessKey(), credentials.secretKey())
            .build(BlobStoreContext.class);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(URI.create("http://" + settings.host() + ":" + settings.port()))
            .awsAuthentication(
                AuthenticationType.AWS_V2_OR_V4, credentials.accessKey(), credentials.secretKey())
            .build();
    try {
      proxy.start();
    } catch (Exception e) {
      context.close();
      throw new IllegalStateException(
          "cannot start the embedded S3 server on " + settings.host() + ":" + settings.port(), e);
    }
    String endpoint = "http://" + settings.host() + ":" + proxy.getPort();
    log.info("Embedded S3 server at {} storing objects in {}", endpoint, dataDir);
    return new EmbeddedS3Server(proxy, context, endpoint);
  }

  /** The URL clients reach the server at. */
  public String endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      log.warn("Embedded S3 server did not stop cleanly", e);
    } finally {
      context.close();
    }
  }
}
