package dev.modelhub.optimize.internal;

import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;

/**
 * What the two int8 passes share for the accuracy-aware search: both can back off to per-channel
 * scales, then to keeping nodes in float.
 */
abstract class Int8Pass<P extends PassParameters> implements Pass<P> {

  @Override
  public Class<? extends PassDetails> detailsType() {
    return PassDetails.Quantized.class;
  }

  @Override
  public boolean searchable() {
    return true;
  }

  /** Whether {@code params} asks for per-channel scales. */
  abstract boolean perChannel(P params);

  /** {@code params} with per-channel scales. */
  abstract P withPerChannel(P params);

  @Override
  public P moreConservative(P params) {
    return perChannel(params) ? null : withPerChannel(params);
  }
}
