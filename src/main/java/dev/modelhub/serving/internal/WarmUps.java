package dev.modelhub.serving.internal;

import ai.djl.translate.TranslateException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.registry.AliasTarget;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import dev.modelhub.serving.http.V2Json;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Warms a loaded version up before it takes traffic, so that the first real request is not the slow
 * one: with the samples uploaded with the version, else with zero-filled inputs generated from its
 * signature. Outcomes are counted ({@code modelhub.model.warmups}).
 */
final class WarmUps {

  private static final Logger log = LoggerFactory.getLogger(WarmUps.class);

  private final ServingProperties properties;
  private final ServingMetrics metrics;
  private final ModelLoader.WarmupSamples warmupSamples;

  WarmUps(
      ServingProperties properties,
      ServingMetrics metrics,
      ModelLoader.WarmupSamples warmupSamples) {
    this.properties = properties;
    this.metrics = metrics;
    this.warmupSamples = warmupSamples;
  }

  /**
   * Runs the version's warm-up samples, or generated inputs without them. Neither a refusal by the
   * engine nor a crash of its host (which restarts with the model loaded again) fails the load:
   * both are logged and counted ({@code refused}, {@code crashed}), since the engine did load the
   * model and warm-up only makes the first request quicker. A model whose real calls crash too is
   * handled as any crashing version is (crash-limit, roll-back).
   */
  void run(LoadedVersion loaded, AliasTarget target) throws Exception {
    if (properties.warmupRequests() == 0) {
      return; // the operator turned warm-up off
    }
    List<Tensor> samples = target.hasWarmup() ? samples(loaded) : null;
    if (samples != null) {
      warm(loaded, samples, true);
      return;
    }
    List<Tensor> inputs = new ArrayList<>();
    for (TensorSpec spec : loaded.signature().inputs()) {
      if (sampleElements(spec) > properties.warmupMaxElements()) {
        log.info(
            "{} v{}: input '{}' is larger than warmup-max-elements; not warmed up",
            loaded.model(),
            loaded.version(),
            spec.name());
        metrics.warmUp(loaded.model(), "skipped");
        return;
      }
      inputs.add(sample(spec, loaded.signature().outputs()));
    }
    warm(loaded, inputs, false);
  }

  /**
   * Makes {@code warmup-requests} calls with {@code inputs}: the version's uploaded samples,
   * bounded like a request by its deadline, or generated ones, which run as long as the load
   * allows. Counts {@code samples} or {@code warmed}, else why it stopped: {@code refused} (zeros
   * are not a valid input of every model — a divisor, an index — yet the engine loaded and
   * answered, which is what warm-up checks) or {@code crashed}.
   */
  private void warm(LoadedVersion loaded, List<Tensor> inputs, boolean uploaded)
      throws InterruptedException {
    for (int i = 0; i < properties.warmupRequests(); i++) {
      try {
        if (uploaded) {
          loaded.predict(inputs, properties.inferenceTimeout());
        } else {
          loaded.predict(inputs);
        }
      } catch (EngineStopped crash) {
        log.warn(
            "{} v{}: its engine host crashed during warm-up; it is restarted, the version loads"
                + " unwarmed: {}",
            loaded.model(),
            loaded.version(),
            crash.getMessage());
        metrics.warmUp(loaded.model(), "crashed");
        return;
      } catch (TranslateException | TimeoutException refused) {
        log.atLevel(uploaded ? Level.WARN : Level.INFO)
            .log(
                "{} v{}: the engine refused its {} warm-up inputs, not warmed up: {}",
                loaded.model(),
                loaded.version(),
                uploaded ? "uploaded" : "generated",
                refused.getMessage());
        metrics.warmUp(loaded.model(), "refused");
        return;
      }
    }
    metrics.warmUp(loaded.model(), uploaded ? "samples" : "warmed");
  }

  /**
   * The version's uploaded warm-up samples as checked inputs, or null (none, or not valid for the
   * signature: then generated inputs are used, and the reason logged and counted).
   */
  private List<Tensor> samples(LoadedVersion loaded) {
    try {
      Optional<JsonNode> body = warmupSamples.of(loaded.model(), loaded.version());
      if (body.isEmpty()) {
        return null;
      }
      byte[] bytes = body.get().toString().getBytes(StandardCharsets.UTF_8);
      V2Json.Request request =
          new V2Json(JsonMapper.shared(), properties.maxTensorElements())
              .read(new ByteArrayInputStream(bytes));
      List<Tensor> inputs = InputValidator.check(loaded.signature(), request.inputs());
      long elements = inputs.stream().mapToLong(t -> Tensor.elements(t.shape())).sum();
      if (elements > properties.warmupMaxElements()) {
        throw new IllegalArgumentException(
            elements
                + " elements, more than warmup-max-elements "
                + properties.warmupMaxElements());
      }
      return inputs;
    } catch (RuntimeException e) {
      log.warn(
          "{} v{}: its warm-up samples do not fit its signature; generated inputs are used: {}",
          loaded.model(),
          loaded.version(),
          e.getMessage());
      metrics.warmUp(loaded.model(), "invalid-samples");
      return null;
    }
  }

  /**
   * Elements of the generated warm-up input for {@code spec}, saturating rather than overflowing.
   */
  static long sampleElements(TensorSpec spec) {
    long n = 1;
    for (Long dim : spec.shape() == null ? List.of(1L) : spec.shape()) {
      long d = dim == null || dim < 0 ? 1 : dim;
      if (d != 0 && n > Long.MAX_VALUE / d) {
        return Long.MAX_VALUE;
      }
      n *= d;
    }
    return n;
  }

  /**
   * A generated input of batch 1 (unknown dimensions become 1): zeros, except where the signature
   * tells more. An integer vector as long as an output's rank, where that output's shape is fully
   * declared, is taken for a shape input (Reshape, Expand, ConstantOfShape, Resize's sizes) and
   * holds that shape — zeros would be an empty shape the engine rightly refuses.
   */
  static Tensor sample(TensorSpec spec, List<TensorSpec> outputs) {
    Tensor zeros = sample(spec);
    if (spec.datatype().kind() != Datatype.Kind.INTEGER || zeros.shape().length != 1) {
      return zeros;
    }
    long length = zeros.shape()[0];
    for (TensorSpec output : outputs) {
      List<Long> dims = output.shape();
      if (dims != null
          && dims.size() == length
          && length > 0
          && dims.stream().allMatch(d -> d != null && d > 0)) {
        return new Tensor(
            spec.name(),
            spec.datatype(),
            zeros.shape(),
            new TensorData.Integers(dims.stream().mapToLong(Long::longValue).toArray()));
      }
    }
    return zeros;
  }

  /** A zero-filled input of batch 1 (unknown dimensions become 1). */
  static Tensor sample(TensorSpec spec) {
    List<Long> dims = spec.shape() == null ? List.of(1L) : spec.shape();
    long[] shape = dims.stream().mapToLong(d -> d < 0 ? 1 : d).toArray();
    int count = Math.toIntExact(Tensor.elements(shape));
    TensorData data =
        switch (spec.datatype().kind()) {
          case REAL -> new TensorData.Reals(new double[count]);
          case BOOLEAN -> new TensorData.Booleans(new boolean[count]);
          case BYTES -> {
            String[] empty = new String[count];
            java.util.Arrays.fill(empty, "");
            yield new TensorData.Strings(empty);
          }
          default -> new TensorData.Integers(new long[count]);
        };
    return new Tensor(spec.name(), spec.datatype(), shape, data);
  }
}
