package dev.modelhub.optimize;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The kinds of distillation student, as clients name them. */
public enum StudentType {
  /** Dense layers with Relu between them. */
  MLP,
  /** Convolutions, Relu and max pooling, then dense layers: for image-shaped inputs. */
  CNN,
  /** An MLP whose width is derived from the teacher's size and a parameter ratio. */
  AUTO;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static StudentType of(String id) {
    for (StudentType type : values()) {
      if (type.id().equals(id)) {
        return type;
      }
    }
    throw new IllegalArgumentException("'student.type' must be mlp, cnn or auto, not '" + id + "'");
  }
}
