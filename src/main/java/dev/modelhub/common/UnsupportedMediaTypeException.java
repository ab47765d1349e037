package dev.modelhub.common;

import org.springframework.http.HttpStatus;

/** 415: a body of a media type the endpoint does not read; the detail says which it does. */
public class UnsupportedMediaTypeException extends ModelhubException {

  public UnsupportedMediaTypeException(String detail) {
    super(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        detail);
  }
}
