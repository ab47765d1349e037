package dev.modelhub.optimize.internal;

import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;

/**
 * What a job can be asked to do, by name: a {@link Pass} rewriting an ONNX graph, or {@link
 * Distillation}, which trains a new network. Its parameters are read into a record of type {@code
 * P}, and it reports what it did in its details record.
 */
public interface PassType<P extends PassParameters> {

  /** The name clients ask for. */
  String name();

  /** The record its parameters are read into. */
  Class<P> parametersType();

  /** The record it reports what it did in. */
  Class<? extends PassDetails> detailsType();
}
