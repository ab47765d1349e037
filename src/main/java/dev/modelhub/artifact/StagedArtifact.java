package dev.modelhub.artifact;

import java.nio.file.Path;

/**
 * An upload that has fully arrived but is not yet part of the content-addressed store: its bytes
 * sit under a staging key in the bucket and in a local spool file that inspection reads. Either
 * {@link ArtifactStore#promote promote} it or let {@link ArtifactStore#release release} discard it.
 *
 * @param stagingKey object key of the staged copy
 * @param digest SHA-256 of the bytes
 * @param sizeBytes number of bytes
 * @param spoolFile local copy of the bytes, deleted on release
 */
public record StagedArtifact(String stagingKey, Digest digest, long sizeBytes, Path spoolFile) {}
