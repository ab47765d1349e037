package dev.modelhub.optimize.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The passes by name. */
public final class Passes {

  private final Map<String, Pass> byName = new LinkedHashMap<>();

  public Passes() {
    for (Pass pass :
        List.of(
            new QuantizeDynamicPass(),
            new QuantizeWeightsPass(),
            new ConvertFp16Pass(),
            new PruneMagnitudePass(),
            new LowRankPass())) {
      byName.put(pass.name(), pass);
    }
  }

  public Optional<Pass> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public List<String> names() {
    return List.copyOf(byName.keySet());
  }
}
