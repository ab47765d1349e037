package dev.modelhub.security.internal;

import dev.modelhub.common.ModelhubException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** 401 and 403 raised once a request has reached its handler. */
public final class AccessExceptions {

  private AccessExceptions() {}

  /** 401: the operation needs credentials and the request carries none. */
  public static final class Unauthenticated extends ModelhubException {
    public Unauthenticated() {
      super(
          HttpStatus.UNAUTHORIZED,
          "unauthenticated",
          "Authentication required",
          "This operation needs an API key: send 'Authorization: Bearer <key>'.");
      withHeader(HttpHeaders.WWW_AUTHENTICATE, ProblemResponses.CHALLENGE);
    }
  }

  /** 403: the caller is known and may not do this. */
  public static final class Forbidden extends ModelhubException {
    public Forbidden(String detail) {
      super(HttpStatus.FORBIDDEN, "forbidden", "Forbidden", detail);
    }
  }
}
