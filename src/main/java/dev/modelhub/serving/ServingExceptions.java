package dev.modelhub.serving;

import dev.modelhub.common.InvalidRequestException;
import dev.modelhub.common.ModelhubException;
import dev.modelhub.format.Datatype;
import java.time.Duration;
import java.util.Collection;
import org.springframework.http.HttpStatus;

/** The serving runtime's client-visible errors. */
public final class ServingExceptions {

  private ServingExceptions() {}

  /** 404: the model, version or alias is not served by this node. */
  public static final class NotServed extends ModelhubException {
    public NotServed(String detail, Collection<Integer> servedVersions) {
      super(HttpStatus.NOT_FOUND, "model-not-served", "Model not served", detail);
      with("servedVersions", servedVersions);
    }
  }

  /** 400: the request does not fit the model's signature. */
  /**
   * The Open Inference Protocol datatype {@code datatype} names for input {@code input}.
   *
   * @throws InvalidRequestException it names none (400, listing the datatypes)
   */
  public static Datatype datatype(String input, String datatype) {
    return Datatype.openInference(datatype)
        .orElseThrow(
            () ->
                invalidInput(
                    "Input '"
                        + input
                        + "' has unknown datatype '"
                        + datatype
                        + "'; datatypes are "
                        + Datatype.openInferenceTypes()
                        + "."));
  }

  public static InvalidRequestException invalidInput(String detail) {
    return new InvalidRequestException(
        "invalid-inference-request", "Invalid inference request", detail);
  }

  /** 503 with Retry-After: the model is loading and nothing older can answer. */
  public static final class Unavailable extends ModelhubException {
    private final Duration retryAfter;

    public Unavailable(String detail, Duration retryAfter) {
      super(HttpStatus.SERVICE_UNAVAILABLE, "model-loading", "Model loading", detail);
      this.retryAfter = retryAfter;
      with("retryAfterSeconds", retryAfter.toSeconds());
      withHeader("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
    }

    public Duration retryAfter() {
      return retryAfter;
    }

    /** Which model is loading and when to retry: nothing internal. */
    @Override
    public boolean detailIsForClients() {
      return true;
    }
  }

  /** 503 with Retry-After: the model's engine host ended during the call; it is restarting. */
  public static final class EngineDown extends ModelhubException {
    public EngineDown(String detail) {
      super(HttpStatus.SERVICE_UNAVAILABLE, "engine-stopped", "Model engine stopped", detail);
      with("retryAfterSeconds", 1);
      withHeader("Retry-After", "1");
    }

    /** Which model's engine stopped and how: nothing internal. */
    @Override
    public boolean detailIsForClients() {
      return true;
    }
  }

  /** 504: the engine did not answer within {@code modelhub.serving.inference-timeout}. */
  public static final class Timeout extends ModelhubException {
    public Timeout(String model, Duration limit) {
      super(
          HttpStatus.GATEWAY_TIMEOUT,
          "inference-timeout",
          "Inference timed out",
          "Model '"
              + model
              + "' did not answer within "
              + limit.toMillis()
              + " ms (modelhub.serving.inference-timeout); the predictor was replaced.");
    }

    @Override
    public boolean detailIsForClients() {
      return true;
    }
  }

  /** 413: the inference body is over {@code modelhub.serving.max-request-size}. */
  public static final class RequestTooLarge extends ModelhubException {
    public RequestTooLarge(long limit) {
      super(
          HttpStatus.CONTENT_TOO_LARGE,
          "request-too-large",
          "Request too large",
          "The inference request is over "
              + limit
              + " bytes (modelhub.serving.max-request-size); send fewer rows per request.");
    }
  }

  /** 429: the model's request queue is full. */
  public static final class Busy extends ModelhubException {
    public Busy(String model, int capacity) {
      super(
          HttpStatus.TOO_MANY_REQUESTS,
          "queue-full",
          "Too many requests",
          "Model '"
              + model
              + "' already has "
              + capacity
              + " requests running or queued (modelhub.serving.predictors +"
              + " modelhub.serving.queue-capacity); retry shortly.");
    }
  }
}
