package dev.modelhub.optimize.internal;

import dev.modelhub.format.TensorSpec;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;

/**
 * The {@code distill} pass: trains a student network to imitate the version ({@link Distiller}).
 */
public final class Distillation implements PassType<PassParameters.Distill> {

  public static final String NAME = "distill";

  /** The scratch object holding a distillation job's checkpoint. */
  public static String checkpointName(long job) {
    return "distill-job-" + job;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Class<PassParameters.Distill> parametersType() {
    return PassParameters.Distill.class;
  }

  @Override
  public Class<? extends PassDetails> detailsType() {
    return PassDetails.Distilled.class;
  }

  /**
   * The parameter count of {@code student} (mlp, cnn or a resolved auto) for a teacher with this
   * input and output.
   *
   * @throws IllegalArgumentException the student does not fit the signature (the message says why)
   */
  public static long parameterCount(
      PassParameters.Student student, TensorSpec input, TensorSpec output) {
    return StudentNetwork.of(student, input, output).parameterCount();
  }

  /**
   * An auto student made concrete: an MLP with one hidden layer sized to its parameterRatio of
   * {@code teacherParameters}.
   *
   * @throws IllegalArgumentException the ratio leaves no room for a hidden layer
   */
  public static PassParameters.Student resolveAuto(
      PassParameters.Student student, TensorSpec input, TensorSpec output, long teacherParameters) {
    return StudentNetwork.resolveAuto(student, input, output, teacherParameters);
  }
}
