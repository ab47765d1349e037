package dev.modelhub.common;

import org.springframework.http.HttpStatus;

/** A request whose parameters or body are malformed or out of range: 400. */
public class InvalidRequestException extends ModelhubException {

  public InvalidRequestException(String detail) {
    super(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail);
  }

  public InvalidRequestException(String slug, String title, String detail) {
    super(HttpStatus.BAD_REQUEST, slug, title, detail);
  }
}
