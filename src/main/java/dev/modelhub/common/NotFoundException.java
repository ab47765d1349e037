package dev.modelhub.common;

import org.springframework.http.HttpStatus;

/** A model, version, alias or other named thing that does not exist: 404. */
public class NotFoundException extends ModelhubException {

  public NotFoundException(String slug, String title, String detail) {
    super(HttpStatus.NOT_FOUND, slug, title, detail);
  }
}
