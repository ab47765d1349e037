package dev.modelhub.registry;

import dev.modelhub.artifact.StagedArtifact;
import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.format.Pipeline;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.jakarta.servlet6.JakartaServletFileUpload;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads a {@code multipart/form-data} upload as a stream: the {@code file} part goes straight into
 * staging as it arrives (never to memory or a servlet temp file), the small {@code metadata} part
 * may come before or after it, as may a {@code labels} text file (one class name per line) that
 * becomes the labels of the version's pipeline.
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
    List<String> labels = null;
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
          case "labels" -> labels = labels(part, maxMetadataBytes);
          default ->
              throw new InvalidRequestException(
                  "Unexpected part '"
                      + part.getFieldName()
                      + "'; a version upload has a 'file' part and optional 'metadata' and"
                      + " 'labels' parts.");
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
    try {
      return new Parts(
          staged,
          filename,
          withLabels(metadata == null ? Requests.VersionMetadata.EMPTY : metadata, labels));
    } catch (RuntimeException e) {
      releaseQuietly(uploads, staged);
      throw e;
    }
  }

  /** The metadata with the labels of a {@code labels} part in its pipeline (made if absent). */
  private static Requests.VersionMetadata withLabels(
      Requests.VersionMetadata metadata, List<String> labels) {
    if (labels == null) {
      return metadata;
    }
    Pipeline pipeline = metadata.pipeline();
    if (pipeline != null && !pipeline.labels().isEmpty()) {
      throw new InvalidRequestException(
          "The upload gives labels twice: in a 'labels' part and in the metadata's pipeline."
              + " Give them once.");
    }
    return metadata.withPipeline(
        pipeline == null
            ? new Pipeline(null, null, null, null, labels)
            : pipeline.withLabels(labels));
  }

  /**
   * A {@code labels} part: a text file with one label per line, as {@code labels.txt} files that
   * ship with classifiers are (a final newline and carriage returns are not part of the labels).
   */
  private static List<String> labels(FileItemInput part, long maxBytes) throws IOException {
    byte[] bytes;
    try (InputStream in = part.getInputStream()) {
      bytes = in.readNBytes((int) maxBytes + 1);
    }
    if (bytes.length > maxBytes) {
      throw new InvalidRequestException(
          "The 'labels' part exceeds " + maxBytes + " bytes (modelhub.upload.max-metadata-size).");
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new InvalidRequestException("The 'labels' part is not UTF-8 text.");
    }
    List<String> lines = new ArrayList<>(List.of(text.split("\r?\n", -1)));
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    return lines;
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
