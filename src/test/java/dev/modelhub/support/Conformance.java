package dev.modelhub.support;

import static org.awaitility.Awaitility.await;

import dev.modelhub.support.Api.Response;
import dev.modelhub.support.OnnxTestCase.Value;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The serving conformance check over ONNX's backend test cases: each case is run through ONNX
 * Runtime's own Java API in the test's process, and uploaded, promoted and called through {@code
 * /v2} as a user would; Modelhub's answer must equal the reference outputs wherever ONNX Runtime's
 * does (within the ONNX test runner's tolerance: rtol 1e-3, atol 1e-7).
 */
public final class Conformance {

  /** What became of a case. */
  public enum Outcome {
    /** Modelhub's answer equals the reference. */
    SERVED_CORRECTLY(true),
    /** Refused at upload with a 4xx problem saying why. */
    REFUSED_AT_UPLOAD(true),
    /** Registered, with {@code servable: false} and the engine's message. */
    MARKED_UNSERVABLE(true),
    /** Served, but its answer is a 4xx (an input the server cannot carry). */
    CALL_REFUSED(true),
    /** Served with ONNX Runtime's own answer, where that differs from the reference. */
    SERVED_AS_ENGINE(true),
    /** Served; the model is random (ONNX Runtime's own two runs differ), so no answer is fixed. */
    SERVED_RANDOM(true),
    /** Served, and its answer differs from the reference (and from ONNX Runtime's own). */
    SERVED_WRONG(false),
    /** Marked servable but never served, or the call failed on the server's side (5xx). */
    SERVING_FAILED(false);

    final boolean acceptable;

    Outcome(boolean acceptable) {
      this.acceptable = acceptable;
    }
  }

  /**
   * A case's result.
   *
   * @param ortCorrect whether ONNX Runtime's own API ran it and matched the reference
   * @param ortNote why not, when it did not
   * @param outcome what Modelhub did
   * @param detail the message Modelhub gave (refusal, engine message, difference)
   */
  public record Result(
      String name, boolean ortCorrect, String ortNote, Outcome outcome, String detail) {

    /** Whether Modelhub did what it must: serve correctly what ONNX Runtime runs correctly. */
    public boolean acceptable() {
      if (outcome == Outcome.SERVED_WRONG || outcome == Outcome.SERVING_FAILED) {
        return false;
      }
      return !ortCorrect || outcome == Outcome.SERVED_CORRECTLY;
    }
  }

  private static final ObjectMapper LENIENT =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private final Api api;
  private final Api node;
  private final String alias;
  private final Function<String, String> names;

  /**
   * @param api where cases are uploaded and promoted
   * @param node the serving node that serves {@code alias} and is called
   * @param names makes a model name for a case
   */
  public Conformance(Api api, Api node, String alias, Function<String, String> names) {
    this.api = api;
    this.node = node;
    this.alias = alias;
    this.names = names;
  }

  public Result check(OnnxTestCase c) {
    boolean ortCorrect = false;
    List<Value> ortOutputs = null;
    String ortNote;
    if (c.unreadable() != null) {
      ortNote = "test data not readable here: " + c.unreadable();
    } else {
      try {
        List<List<Value>> runs = OrtReference.runs(c.model(), c.inputs(), 3);
        ortOutputs = runs.get(0);
        String difference = difference(c.outputs(), ortOutputs);
        ortCorrect = difference == null;
        ortNote = difference == null ? "" : "ONNX Runtime answers differently: " + difference;
        if (!ortCorrect
            && (difference(ortOutputs, runs.get(1)) != null
                || difference(ortOutputs, runs.get(2)) != null)) {
          ortOutputs = null;
          ortNote = "random: ONNX Runtime's own runs differ";
        }
      } catch (Exception | LinkageError e) {
        ortNote = "ONNX Runtime's own API fails: " + firstLine(e.toString());
      }
    }
    return served(c, ortCorrect, ortOutputs, ortNote);
  }

  private Result served(
      OnnxTestCase c, boolean ortCorrect, List<Value> ortOutputs, String ortNote) {
    String base = c.name().replaceFirst("^test_", "").replace('_', '-').toLowerCase();
    String model = names.apply(base.length() > 40 ? base.substring(0, 40) : base);
    Response created = api.upload(model, c.model(), "filename=model.onnx");
    if (created.status() >= 500) {
      return new Result(
          c.name(), ortCorrect, ortNote, Outcome.SERVING_FAILED, "upload: " + created);
    }
    if (created.status() != 201) {
      return new Result(c.name(), ortCorrect, ortNote, Outcome.REFUSED_AT_UPLOAD, detail(created));
    }
    JsonNode version = created.json();
    if (!version.get("servable").asBoolean(true)) {
      return new Result(
          c.name(),
          ortCorrect,
          ortNote,
          Outcome.MARKED_UNSERVABLE,
          version.get("servableMessage").asString());
    }
    int number = version.get("version").asInt();
    String path = "/api/v1/models/" + model + "/aliases/" + alias;
    Response promoted = api.putJson(path, Map.of("version", number));
    if (promoted.status() != 200) {
      return new Result(
          c.name(), ortCorrect, ortNote, Outcome.SERVING_FAILED, "promote: " + promoted);
    }
    try {
      Optional<String> loadError = awaitLoad(model, number);
      if (loadError.isPresent()) {
        return new Result(
            c.name(), ortCorrect, ortNote, Outcome.SERVING_FAILED, "load: " + loadError.get());
      }
      if (c.unreadable() != null) {
        return new Result(c.name(), false, ortNote, Outcome.SERVED_CORRECTLY, "loaded");
      }
      Response answer =
          node.sendRaw(
              "POST",
              "/v2/models/" + model + "/infer",
              "application/json",
              request(c.inputs()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      if (answer.status() >= 500) {
        return new Result(c.name(), ortCorrect, ortNote, Outcome.SERVING_FAILED, answer.toString());
      }
      if (answer.status() != 200) {
        return new Result(c.name(), ortCorrect, ortNote, Outcome.CALL_REFUSED, detail(answer));
      }
      List<Value> served = outputs(answer);
      String difference = difference(c.outputs(), served);
      if (difference == null) {
        return new Result(c.name(), ortCorrect, ortNote, Outcome.SERVED_CORRECTLY, "");
      }
      if (ortOutputs != null && difference(ortOutputs, served) == null) {
        return new Result(c.name(), ortCorrect, ortNote, Outcome.SERVED_AS_ENGINE, difference);
      }
      if (ortNote.startsWith("random")
          && !difference.contains(": shape ")
          && !difference.startsWith("no output")) {
        return new Result(c.name(), false, ortNote, Outcome.SERVED_RANDOM, difference);
      }
      return new Result(c.name(), ortCorrect, ortNote, Outcome.SERVED_WRONG, difference);
    } finally {
      api.delete(path);
    }
  }

  /** Waits until the node serves the version (empty) or reports its load failed (the error). */
  private Optional<String> awaitLoad(String model, int number) {
    String[] error = {null};
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              for (JsonNode slot : node.get("/api/v1/serving").json().get("models")) {
                if (slot.get("model").asString().equals(model)
                    && slot.get("alias").asString().equals(alias)) {
                  if (!slot.get("version").isNull() && slot.get("version").asInt() == number) {
                    return true;
                  }
                  if (slot.get("state").asString().equals("FAILED")) {
                    error[0] = slot.get("lastError").asString();
                    return true;
                  }
                }
              }
              return false;
            });
    return Optional.ofNullable(error[0]);
  }

  /** A v2 request body; reals as Java writes them (NaN and ±Infinity as bare words). */
  static String request(List<Value> inputs) {
    StringBuilder body = new StringBuilder("{\"inputs\":[");
    for (int i = 0; i < inputs.size(); i++) {
      Value v = inputs.get(i);
      if (i > 0) {
        body.append(',');
      }
      body.append("{\"name\":")
          .append(quoted(v.name()))
          .append(",\"datatype\":\"")
          .append(v.datatype())
          .append("\",\"shape\":")
          .append(Arrays.toString(v.shape()).replace(" ", ""))
          .append(",\"data\":[");
      int n = v.length();
      for (int j = 0; j < n; j++) {
        if (j > 0) {
          body.append(',');
        }
        if (v.data() instanceof long[] l) {
          body.append(v.onnxType() == 13 ? Long.toUnsignedString(l[j]) : Long.toString(l[j]));
        } else if (v.data() instanceof String[] s) {
          body.append(quoted(s[j]));
        } else {
          body.append(element(v, j));
        }
      }
      body.append("]}");
    }
    return body.append("]}").toString();
  }

  private static String quoted(String s) {
    return LENIENT.writeValueAsString(s);
  }

  /** The answer's outputs, decoded into values by name. */
  private static List<Value> outputs(Response answer) {
    JsonNode json = LENIENT.readTree(answer.body());
    List<Value> values = new ArrayList<>();
    for (JsonNode out : json.get("outputs")) {
      long[] shape = new long[out.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = out.get("shape").get(i).asLong();
      }
      JsonNode data = out.get("data");
      int n = data.size();
      String datatype = out.get("datatype").asString();
      Object decoded =
          switch (datatype) {
            case "FP16", "BF16", "FP32", "FP64" -> {
              double[] d = new double[n];
              for (int i = 0; i < n; i++) {
                d[i] = data.get(i).asDouble();
              }
              yield d;
            }
            case "BOOL" -> {
              boolean[] b = new boolean[n];
              for (int i = 0; i < n; i++) {
                b[i] = data.get(i).asBoolean();
              }
              yield b;
            }
            case "BYTES" -> {
              String[] s = new String[n];
              for (int i = 0; i < n; i++) {
                s[i] = data.get(i).asString();
              }
              yield s;
            }
            default -> {
              long[] l = new long[n];
              for (int i = 0; i < n; i++) {
                l[i] =
                    datatype.equals("UINT64")
                        ? Long.parseUnsignedLong(data.get(i).asString())
                        : data.get(i).asLong();
              }
              yield l;
            }
          };
      values.add(new Value(out.get("name").asString(), 0, shape, decoded));
    }
    return values;
  }

  /**
   * Where {@code actual} differs from {@code expected} (matched by name, else by position), or
   * null: shapes equal, reals within rtol 1e-3 and atol 1e-7 (NaN equal to NaN), others exact.
   */
  static String difference(List<Value> expected, List<Value> actual) {
    Map<String, Value> byName =
        actual.stream().collect(Collectors.toMap(Value::name, v -> v, (a, b) -> a));
    for (int i = 0; i < expected.size(); i++) {
      Value want = expected.get(i);
      Value got = byName.getOrDefault(want.name(), i < actual.size() ? actual.get(i) : null);
      if (got == null) {
        return "no output '" + want.name() + "'";
      }
      if (!Arrays.equals(want.shape(), got.shape())) {
        return want.name()
            + ": shape "
            + Arrays.toString(got.shape())
            + ", expected "
            + Arrays.toString(want.shape());
      }
      String where = elements(want, got);
      if (where != null) {
        return want.name() + ": " + where;
      }
    }
    return null;
  }

  private static String elements(Value want, Value got) {
    int n = want.length();
    if (got.length() != n) {
      return got.length() + " elements, expected " + n;
    }
    for (int i = 0; i < n; i++) {
      boolean same;
      if (want.data() instanceof double[] w) {
        same =
            got.data() instanceof double[] g
                && (Double.isNaN(w[i])
                    ? Double.isNaN(g[i])
                    : w[i] == g[i] || Math.abs(w[i] - g[i]) <= 1e-7 + 1e-3 * Math.abs(w[i]));
      } else {
        same =
            want.data().getClass() == got.data().getClass()
                && element(want, i).equals(element(got, i));
      }
      if (!same) {
        return "element " + i + " is " + element(got, i) + ", expected " + element(want, i);
      }
    }
    return null;
  }

  private static String element(Value v, int i) {
    return String.valueOf(java.lang.reflect.Array.get(v.data(), i));
  }

  private static String detail(Response response) {
    try {
      JsonNode json = LENIENT.readTree(response.body());
      return response.status() + " " + json.path("detail").asString(response.text());
    } catch (RuntimeException e) {
      return response.status() + " " + response.text();
    }
  }

  private static String firstLine(String text) {
    int end = text.indexOf('\n');
    return end < 0 ? text : text.substring(0, end);
  }

  /** Counts by outcome, for the table. */
  public static Map<Outcome, Long> counts(List<Result> results) {
    Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
    for (Result r : results) {
      counts.merge(r.outcome(), 1L, Long::sum);
    }
    return counts;
  }

  /** The table printed by the test and the benchmark. */
  public static String table(String title, List<Result> results) {
    long ortCorrect = results.stream().filter(Result::ortCorrect).count();
    long servedOfOrt =
        results.stream()
            .filter(r -> r.ortCorrect() && r.outcome() == Outcome.SERVED_CORRECTLY)
            .count();
    StringBuilder out = new StringBuilder();
    out.append("\n").append(title).append("\n");
    out.append(String.format("| %-46s | %6s |%n", "cases", results.size()));
    out.append(
        String.format("| %-46s | %6s |%n", "ONNX Runtime's own API runs correctly", ortCorrect));
    out.append(
        String.format("| %-46s | %6s |%n", "... of which Modelhub serves correctly", servedOfOrt));
    counts(results)
        .forEach(
            (outcome, n) ->
                out.append(String.format("| %-46s | %6s |%n", "Modelhub: " + outcome, n)));
    Map<String, Long> reasons = new TreeMap<>();
    for (Result r : results) {
      if (r.outcome() == Outcome.REFUSED_AT_UPLOAD || r.outcome() == Outcome.MARKED_UNSERVABLE) {
        reasons.merge(r.outcome() + ": " + reason(r.detail()), 1L, Long::sum);
      }
    }
    reasons.forEach((reason, n) -> out.append(String.format("  %4d  %s%n", n, reason)));
    for (Result r : results) {
      if (r.outcome() == Outcome.SERVED_AS_ENGINE) {
        out.append("  as ONNX Runtime answers it: ")
            .append(r.name())
            .append(" (")
            .append(r.ortNote())
            .append(")\n");
      }
      if (!r.acceptable()) {
        out.append("  NOT ACCEPTABLE ").append(r).append('\n');
      }
    }
    return out.toString();
  }

  /** A refusal's gist, for grouping: its first 90 characters without numbers. */
  private static String reason(String detail) {
    String gist = detail == null ? "" : detail.replaceAll("'[^']*'", "'…'").replaceAll("\\d+", "N");
    return gist.length() > 90 ? gist.substring(0, 90) + "…" : gist;
  }
}
