package dev.modelhub.optimize.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the two int8 passes share for the accuracy-aware search: both can back off to per-channel
 * scales, then to keeping nodes in float.
 */
abstract class Int8Pass implements Pass {

  @Override
  public boolean searchable() {
    return true;
  }

  @Override
  public Map<String, Object> moreConservative(Map<String, Object> params) {
    if (Boolean.TRUE.equals(params.get("perChannel"))) {
      return null;
    }
    Map<String, Object> next = new LinkedHashMap<>(params);
    next.put("perChannel", true);
    return next;
  }
}
