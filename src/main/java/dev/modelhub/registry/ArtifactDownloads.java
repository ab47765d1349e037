package dev.modelhub.registry;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.Digest;
import dev.modelhub.common.ModelhubException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRange;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

/**
 * Streams an artifact from object storage to the client: ETag (the digest), Content-Length,
 * conditional GET, and single byte ranges fetched as ranges from storage (so resuming a 20 GB
 * download does not reread what was already sent). Multiple ranges get the whole artifact, as RFC
 * 9110 allows.
 */
@Component
class ArtifactDownloads {

  private static final int BUFFER = 64 * 1024;

  private final ArtifactStore store;

  ArtifactDownloads(ArtifactStore store) {
    this.store = store;
  }

  void send(VersionEntity version, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    long size = version.sizeBytes();
    String etag = "\"" + version.digest() + "\"";
    response.setHeader(HttpHeaders.ETAG, etag);
    response.setHeader(HttpHeaders.ACCEPT_RANGES, "bytes");
    if (matches(request.getHeader(HttpHeaders.IF_NONE_MATCH), etag)) {
      response.setStatus(HttpStatus.NOT_MODIFIED.value());
      return;
    }
    long start = 0;
    long length = size;
    String rangeHeader = request.getHeader(HttpHeaders.RANGE);
    if (rangeHeader != null && size > 0) {
      List<HttpRange> ranges = parse(rangeHeader, size, response);
      if (ranges.size() == 1) {
        start = ranges.get(0).getRangeStart(size);
        length = ranges.get(0).getRangeEnd(size) - start + 1;
        response.setStatus(HttpStatus.PARTIAL_CONTENT.value());
        response.setHeader(
            HttpHeaders.CONTENT_RANGE, "bytes " + start + "-" + (start + length - 1) + "/" + size);
      }
    }
    response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
    response.setContentLengthLong(length);
    if (version.filename() != null) {
      response.setHeader(
          HttpHeaders.CONTENT_DISPOSITION,
          ContentDisposition.attachment().filename(version.filename()).build().toString());
    }
    if (request.getMethod().equals("HEAD") || length == 0) {
      return;
    }
    try (InputStream in = store.open(Digest.parse(version.digest()), start, length);
        OutputStream out = response.getOutputStream()) {
      in.transferTo(out);
      out.flush();
    }
  }

  private static List<HttpRange> parse(String header, long size, HttpServletResponse response) {
    try {
      List<HttpRange> ranges = HttpRange.parseRanges(header);
      for (HttpRange range : ranges) {
        long start = range.getRangeStart(size);
        if (start >= size || start > range.getRangeEnd(size)) {
          throw new IllegalArgumentException("range starts beyond the end");
        }
      }
      return ranges;
    } catch (IllegalArgumentException e) {
      response.setHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + size);
      throw new RangeNotSatisfiable(header, size);
    }
  }

  private static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String candidate : ifNoneMatch.split(",")) {
      String tag = candidate.strip();
      if (tag.equals("*") || tag.equals(etag) || tag.equals("W/" + etag)) {
        return true;
      }
    }
    return false;
  }

  /** 416 with the size, so the client can fix its range. */
  static final class RangeNotSatisfiable extends ModelhubException {
    RangeNotSatisfiable(String header, long size) {
      super(
          HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
          "range-not-satisfiable",
          "Range not satisfiable",
          "Range '" + header + "' does not fit an artifact of " + size + " bytes.");
      with("sizeBytes", size);
    }
  }
}
