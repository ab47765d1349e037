package dev.modelhub.common;

import org.springframework.http.HttpStatus;

/** A request that contradicts the current state (duplicate name, alias still pointing): 409. */
public class ConflictException extends ModelhubException {

  public ConflictException(String slug, String title, String detail) {
    super(HttpStatus.CONFLICT, slug, title, detail);
  }
}
