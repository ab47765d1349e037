package dev.modelhub.serving.http;

import dev.modelhub.serving.ServingExceptions;
import jakarta.servlet.http.HttpServletRequest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Inference request bodies, limited to {@code modelhub.serving.max-request-size}: a declared
 * Content-Length over it is refused before a byte is read, and a body that streams past it (no
 * length, or a false one) is cut off there.
 */
final class RequestBodies {

  private RequestBodies() {}

  static InputStream limited(HttpServletRequest request, long max) throws IOException {
    long declared = request.getContentLengthLong();
    if (declared > max) {
      throw new ServingExceptions.RequestTooLarge(max);
    }
    return new Limited(request.getInputStream(), max);
  }

  private static final class Limited extends FilterInputStream {
    private final long max;
    private long read;

    Limited(InputStream in, long max) {
      super(in);
      this.max = max;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(int n) {
      read += n;
      if (read > max) {
        throw new ServingExceptions.RequestTooLarge(max);
      }
    }
  }
}
