package dev.modelhub.registry;

import dev.modelhub.artifact.StagedArtifact;
import dev.modelhub.common.InvalidRequestException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.jakarta.servlet6.JakartaServletFileUpload;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads a {@code multipart/form-data} upload as a stream: the {@code file} part goes straight into
 * staging as it arrives (never to memory or a servlet temp file), the small {@code metadata} part
 * may come before or after it.
 */
final class MultipartUpload {

  /** What the parts held. */
  record Parts(StagedArtifact staged, String filename, Requests.VersionMetadata metadata) {}

  private MultipartUpload() {}

  static Parts read(
      HttpServletRequest request,
      VersionUploads uploads,
      ObjectMapper json,
      long maxMetadataBytes) {
    StagedArtifact staged = null;
    String filename = null;
    Requests.VersionMetadata metadata = null;
    try {
      FileItemInputIterator parts = new JakartaServletFileUpload<>().getItemIterator(request);
      while (parts.hasNext()) {
        FileItemInput part = parts.next();
        switch (part.getFieldName() == null ? "" : part.getFieldName()) {
          case "file" -> {
            if (staged != null) {
              throw new InvalidRequestException("The upload has more than one 'file' part.");
            }
            filename = part.getName();
            if (filename != null && !filename.isEmpty()) {
              Names.checkFilename(filename);
            }
            try (InputStream in = part.getInputStream()) {
              staged = uploads.stage(in, -1);
            }
          }
          case "metadata" -> metadata = metadata(part, json, maxMetadataBytes);
          default ->
              throw new InvalidRequestException(
                  "Unexpected part '"
                      + part.getFieldName()
                      + "'; a version upload has a 'file' part and an optional 'metadata' part.");
        }
      }
    } catch (IOException e) {
      releaseQuietly(uploads, staged);
      throw new InvalidRequestException(
          "malformed-multipart",
          "Malformed multipart body",
          "The multipart body could not be read: " + e.getMessage());
    } catch (RuntimeException e) {
      releaseQuietly(uploads, staged);
      throw e;
    }
    if (staged == null) {
      throw new InvalidRequestException("The upload has no 'file' part holding the artifact.");
    }
    return new Parts(
        staged, filename, metadata == null ? Requests.VersionMetadata.EMPTY : metadata);
  }

  private static Requests.VersionMetadata metadata(
      FileItemInput part, ObjectMapper json, long maxBytes) throws IOException {
    byte[] bytes;
    try (InputStream in = part.getInputStream()) {
      bytes = in.readNBytes((int) maxBytes + 1);
    }
    if (bytes.length > maxBytes) {
      throw new InvalidRequestException(
          "The 'metadata' part exceeds "
              + maxBytes
              + " bytes (modelhub.upload.max-metadata-size).");
    }
    try {
      return json.readValue(bytes, Requests.VersionMetadata.class);
    } catch (JacksonException e) {
      throw new InvalidRequestException(
          "malformed-body",
          "Malformed request body",
          "The 'metadata' part cannot be read: " + e.getOriginalMessage());
    }
  }

  private static void releaseQuietly(VersionUploads uploads, StagedArtifact staged) {
    if (staged != null) {
      uploads.abandon(staged);
    }
  }
}
