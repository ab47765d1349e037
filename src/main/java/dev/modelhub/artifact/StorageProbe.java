package dev.modelhub.artifact;

/**
 * The result of checking object storage.
 *
 * @param endpoint the S3 endpoint checked
 * @param bucket the bucket checked
 * @param bucketExists whether the service answered and the bucket exists
 * @param error why the check failed, or null
 */
public record StorageProbe(String endpoint, String bucket, boolean bucketExists, String error) {

  public boolean up() {
    return error == null && bucketExists;
  }
}
