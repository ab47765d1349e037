/**
 * Artifact storage: immutable, content-addressed blobs ({@code sha256/ab/abcdef…}) in any S3
 * service through the MinIO client, an embedded S3 server (s3proxy) when no endpoint is configured,
 * streaming uploads that never hold a whole artifact in memory, and the one safe archive unpacker
 * every archive goes through.
 */
@org.springframework.modulith.ApplicationModule
package dev.modelhub.artifact;
