package dev.modelhub.common;

import org.springframework.http.HttpStatus;

/** Well-formed content that cannot be accepted, such as a corrupt or unsafe artifact: 422. */
public class UnprocessableException extends ModelhubException {

  public UnprocessableException(String slug, String title, String detail) {
    super(HttpStatus.UNPROCESSABLE_CONTENT, slug, title, detail);
  }

  public UnprocessableException(String slug, String title, String detail, Throwable cause) {
    super(HttpStatus.UNPROCESSABLE_CONTENT, slug, title, detail, cause);
  }
}
