package dev.modelhub.security;

import dev.modelhub.common.ModelhubException;
import org.springframework.http.HttpStatus;

/** 403: a key limited to model patterns asked about a model outside them. */
public class ModelOutOfScope extends ModelhubException {

  public ModelOutOfScope(Caller caller) {
    super(
        HttpStatus.FORBIDDEN,
        "forbidden",
        "Forbidden",
        "This key is limited to the models " + caller.scope().patterns() + ".");
  }
}
