package dev.modelhub.artifact.internal;

import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Set;

/**
 * The S3 operations Modelhub uses, over the MinIO client. Checked MinIO exceptions become {@link
 * IOException}s; "no such key" becomes an empty result.
 */
public class ObjectStorage {

  private static final Set<String> MISSING = Set.of("NoSuchKey", "NoSuchObject", "NotFound");

  private final MinioClient client;
  private final MinioClient probeClient;
  private final String bucket;
  private final String endpoint;
  private final long partSize;
  private volatile boolean bucketReady;

  public ObjectStorage(
      MinioClient client, MinioClient probeClient, String bucket, String endpoint, long partSize) {
    this.client = client;
    this.probeClient = probeClient;
    this.bucket = bucket;
    this.endpoint = endpoint;
    this.partSize = partSize;
  }

  public String endpoint() {
    return endpoint;
  }

  public String bucket() {
    return bucket;
  }

  /** Creates the bucket unless it exists; cheap after the first success. */
  public void ensureBucket() throws IOException {
    if (bucketReady) {
      return;
    }
    call(
        () -> {
          if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
            client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
          }
          return null;
        });
    bucketReady = true;
  }

  /**
   * Streams {@code in} to {@code key} as a multipart upload of {@code partSize} parts, so memory
   * stays at one part whatever the size. If reading {@code in} fails, the multipart upload is
   * aborted and no object becomes visible.
   */
  public void putStream(String key, InputStream in) throws IOException {
    ensureBucket();
    call(
        () ->
            client.putObject(
                PutObjectArgs.builder().bucket(bucket).object(key).stream(in, -1, partSize)
                    .contentType("application/octet-stream")
                    .build()));
  }

  /** Server-side copy (multipart copy above 5 GiB, which the MinIO client does itself). */
  public void copy(String fromKey, String toKey) throws IOException {
    call(
        () ->
            client.copyObject(
                CopyObjectArgs.builder()
                    .bucket(bucket)
                    .object(toKey)
                    .source(CopySource.builder().bucket(bucket).object(fromKey).build())
                    .build()));
  }

  public Optional<Long> size(String key) throws IOException {
    try {
      StatObjectResponse stat =
          client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
      return Optional.of(stat.size());
    } catch (ErrorResponseException e) {
      if (MISSING.contains(e.errorResponse().code())) {
        return Optional.empty();
      }
      throw new IOException(e.getMessage(), e);
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Reads {@code length} bytes from {@code offset}; a null length reads to the end. */
  public InputStream get(String key, long offset, Long length) throws IOException {
    return call(
        () -> {
          GetObjectArgs.Builder args = GetObjectArgs.builder().bucket(bucket).object(key);
          if (offset > 0 || length != null) {
            args.offset(offset);
            if (length != null) {
              args.length(length);
            }
          }
          return client.getObject(args.build());
        });
  }

  public void remove(String key) throws IOException {
    call(
        () -> {
          client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
          return null;
        });
  }

  /** Whether the service answers and the bucket exists, within the short health timeout. */
  public boolean probe() throws IOException {
    return call(() -> probeClient.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()));
  }

  private interface MinioCall<T> {
    T run() throws Exception;
  }

  private static <T> T call(MinioCall<T> call) throws IOException {
    try {
      return call.run();
    } catch (IOException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (Exception e) {
      throw new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
  }
}
