package dev.modelhub.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.onnx.AttributeProto;
import dev.modelhub.onnx.GraphProto;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.onnx.NodeProto;
import dev.modelhub.onnx.ValueInfoProto;
import dev.modelhub.support.Api.Response;
import dev.modelhub.support.Archives;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.HostileModels;
import dev.modelhub.support.HostileSavedModels;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.ServingTest;
import dev.modelhub.support.TestSecrets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;

/**
 * A corpus of hostile inputs, each with the 4xx it must get: models pointing their tensors at files
 * outside their folder from every place a tensor can sit, corrupt and absurd ONNX, archives with
 * every unsafe entry type and name, SavedModels running operations that touch files, the network or
 * processes, hostile names, JSON built to exhaust parsers and inference bodies built to exhaust
 * memory. None may get through, none may answer 5xx, and nothing may be left behind: no row, no
 * object, no spool file, and the node stays healthy.
 */
class HostileCorpusIT extends ServingTest {

  /** One hostile input: what it is, how to send it, which status it must get. */
  record Case(String name, Supplier<Response> send, int expected) {}

  @Value("${modelhub.storage.spool-dir}")
  Path spoolDir;

  @Test
  void no_hostile_input_gets_through_or_answers_5xx_or_leaves_anything_behind() throws Exception {
    String served = uniqueName("target");
    promote(served, "production", register(served, Fixtures.bytes("digits_mlp.onnx"), "m.onnx"));
    awaitServing(served, "production", 1);
    String victim = uniqueName("victim");

    Set<String> objectsBefore = new HashSet<>(objectKeys(""));
    Set<Path> spoolBefore = files(spoolDir);
    // Where the archive entries below point outside their folder: nothing may appear there.
    List<Path> pointedAt =
        List.of(
            Path.of("/tmp/evil.onnx"),
            Path.of("/tmp/m.onnx"),
            spoolDir.toAbsolutePath().getParent().resolve("evil.onnx"),
            spoolDir.toAbsolutePath().getParent().getParent().resolve("evil.onnx"));
    Map<Path, Boolean> existedBefore = new LinkedHashMap<>();
    pointedAt.forEach(p -> existedBefore.put(p, Files.exists(p)));
    // What a client must never learn: where the server keeps its files, or its storage endpoint.
    List<String> internals =
        List.of(
            spoolDir.toAbsolutePath().normalize().toString(),
            Path.of(System.getProperty("user.dir")).toAbsolutePath().toString(),
            objectStorage.endpoint(),
            "Exception",
            "\tat ");

    List<Case> corpus = new ArrayList<>();
    externalData(corpus, victim);
    corruptOnnx(corpus, victim);
    archives(corpus, victim);
    savedModels(corpus, victim);
    names(corpus, victim);
    registryJson(corpus);
    inference(corpus, served);

    List<String> failures = new ArrayList<>();
    int serverErrors = 0;
    int accepted = 0;
    Map<String, Long> millis = new LinkedHashMap<>();
    for (Case hostile : corpus) {
      long start = System.nanoTime();
      Response response = hostile.send().get();
      millis.put(hostile.name(), (System.nanoTime() - start) / 1_000_000);
      if (response.status() >= 500) {
        serverErrors++;
      }
      if (response.status() < 400) {
        accepted++;
      }
      if (response.status() != hostile.expected()) {
        failures.add(hostile.name() + ": expected " + hostile.expected() + ", got " + response);
      } else if (!String.valueOf(response.header("Content-Type")).contains("json")) {
        failures.add(hostile.name() + ": not a problem body: " + response);
      } else {
        String body = response.text();
        internals.stream()
            .filter(body::contains)
            .forEach(leak -> failures.add(hostile.name() + ": tells the client " + leak));
      }
    }
    System.out.printf(
        "HostileCorpusIT: %d hostile inputs, %d accepted, %d answered 5xx; slowest: %s%n",
        corpus.size(),
        accepted,
        serverErrors,
        millis.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .limit(5)
            .toList());

    assertThat(failures).isEmpty();
    assertThat(corpus.size()).isGreaterThanOrEqualTo(150);
    assertThat(versionRows(victim)).isZero();
    assertThat(api.get("/api/v1/models/" + victim).status()).isEqualTo(404);
    assertThat(objectKeys("")).containsExactlyInAnyOrderElementsOf(objectsBefore);
    assertThat(objectKeys("staging/")).isEmpty();
    assertThat(files(spoolDir)).isSubsetOf(spoolBefore);
    pointedAt.forEach(
        p -> assertThat(Files.exists(p)).as(p.toString()).isEqualTo(existedBefore.get(p)));
    assertThat(api.get("/actuator/health").json().get("status").asString()).isEqualTo("UP");
    assertThat(inferDigit(api, served).status()).isEqualTo(200);
  }

  /**
   * Requests for names nobody promoted, on every inference route, leave no state: no metric series
   * named after them and no more series than before (they all count under one shared tag).
   */
  @Test
  void invented_model_names_leave_no_metric_series_or_state_behind() {
    String prefix = uniqueName("invented");
    String body = json.writeValueAsString(v2Body("input", "FP32", List.of(1, 64), zerosList(64)));
    // The routes' own series (one per route and status) exist after a first round; then 100 more
    // names must add nothing.
    inventedRound(prefix + "-warm", body);
    series(); // the scrape's own series exist from here on
    Set<String> seriesBefore = series();
    for (int i = 0; i < 100; i++) {
      inventedRound(prefix + "-" + i, body);
    }
    String metrics = api.get("/actuator/prometheus").text();
    assertThat(metrics).doesNotContain(prefix);
    Set<String> added = new HashSet<>(series());
    added.removeAll(seriesBefore);
    assertThat(added).isEmpty();
  }

  private void inventedRound(String name, String body) {
    assertThat(api.postJson("/v2/models/" + name + "/infer", body).status()).isEqualTo(404);
    assertThat(api.get("/v2/models/" + name + "/ready").status()).isEqualTo(404);
    assertThat(api.get("/v2/models/" + name + "/versions/staging").status()).isEqualTo(404);
    assertThat(api.postJson("/v1/models/" + name + ":predict", "{\"instances\":[[1]]}").status())
        .isEqualTo(404);
  }

  /** The series Prometheus is shown: each sample's name and labels. */
  private Set<String> series() {
    return api.get("/actuator/prometheus")
        .text()
        .lines()
        .filter(l -> !l.startsWith("#") && !l.isBlank())
        .map(l -> l.substring(0, l.lastIndexOf(' ')))
        .collect(java.util.stream.Collectors.toSet());
  }

  private static List<Double> zerosList(int n) {
    return Collections.nCopies(n, 0.0);
  }

  @Test
  void every_place_a_tensor_can_sit_is_accepted_with_a_location_inside_the_archive() {
    String model = uniqueName("good-places");
    HostileModels.places()
        .forEach(
            (place, build) -> {
              Response response =
                  upload(
                      model,
                      archive(
                          build.apply(HostileModels.external(HostileModels.DATA_FILE, "0", "64"))));
              assertThat(response.status()).as(place + ": " + response).isEqualTo(201);
            });
    for (byte[] saver :
        List.of(
            HostileSavedModels.archive(HostileSavedModels.tf1Saver()),
            HostileSavedModels.archive(HostileSavedModels.tf2Saver()))) {
      Response response = upload(uniqueName("saver"), saver);
      assertThat(response.status()).as(response.toString()).isEqualTo(201);
    }
  }

  // ---- the corpus ----

  private void externalData(List<Case> corpus, String model) {
    HostileModels.places()
        .forEach(
            (place, build) -> {
              for (String[] location : HostileModels.hostileLocations()) {
                byte[] archive =
                    archive(
                        build.apply(HostileModels.external(location[0], location[1], location[2])));
                corpus.add(
                    new Case(
                        "external data in " + place + " at " + Arrays.toString(location),
                        () -> upload(model, archive),
                        422));
              }
              byte[] bare =
                  build
                      .apply(HostileModels.external(HostileModels.DATA_FILE, "0", "64"))
                      .toByteArray();
              corpus.add(
                  new Case(
                      "external data in " + place + " of a bare .onnx",
                      () -> upload(model, bare),
                      422));
            });
  }

  private void corruptOnnx(List<Case> corpus, String model) {
    byte[] digits = Fixtures.bytes("digits_mlp.onnx");
    for (int cut :
        new int[] {1, 2, 5, 17, 64, 300, 1000, 5000, digits.length / 2, digits.length - 3}) {
      byte[] truncated = Arrays.copyOf(digits, cut);
      corpus.add(new Case("ONNX truncated at " + cut, () -> upload(model, truncated), 422));
    }
    Random random = new Random(42);
    for (int i = 0; i < 10; i++) {
      byte[] noise = new byte[64 + random.nextInt(4096)];
      random.nextBytes(noise);
      corpus.add(new Case("random bytes " + i, () -> upload(model, noise), 422));
    }
    for (int bit = 0; bit < 3; bit++) {
      byte[] flipped = digits.clone();
      flipped[0] ^= (byte) (0x05 << bit); // the first tag's wire type and field number
      corpus.add(
          new Case("ONNX with its first tag flipped " + bit, () -> upload(model, flipped), 422));
    }
    ModelProto mlp = OnnxModels.mlp(1, 4, 2);
    List<ModelProto> absurd = new ArrayList<>();
    absurd.add(withInput(mlp, OnnxModels.tensorValue("x", 1, 1, 1L << 40)));
    absurd.add(withInput(mlp, OnnxModels.tensorValue("x", 1, new long[40])));
    absurd.add(withInput(mlp, OnnxModels.tensorValue("x", 1, 1L << 30, 1L << 30)));
    ModelProto.Builder negative = mlp.toBuilder();
    negative.getGraphBuilder().getInitializerBuilder(0).setDims(0, -4);
    absurd.add(negative.build());
    ModelProto.Builder overflow = mlp.toBuilder();
    overflow
        .getGraphBuilder()
        .getInitializerBuilder(0)
        .clearDims()
        .addAllDims(List.of(1L << 40, 1L << 40, 1L << 40));
    absurd.add(overflow.build());
    absurd.add(deeplyNested(40));
    for (int i = 0; i < absurd.size(); i++) {
      byte[] bytes = absurd.get(i).toByteArray();
      corpus.add(new Case("absurd ONNX " + i, () -> upload(model, bytes), 422));
    }
  }

  private void archives(List<Case> corpus, String model) throws IOException {
    byte[] onnx = OnnxModels.mlp(2, 4, 2).toByteArray();
    Map<String, byte[]> unsafeZips = new LinkedHashMap<>();
    unsafeZips.put("zip slip", Archives.zip(Map.of("../../evil.onnx", onnx)));
    unsafeZips.put("zip absolute path", Archives.zip(Map.of("/tmp/evil.onnx", onnx)));
    unsafeZips.put("zip drive path", Archives.zip(Map.of("C:/evil.onnx", onnx)));
    unsafeZips.put("zip symlink", Archives.zipWithSymlink("model/weights.bin", "/etc/passwd"));
    unsafeZips.put("zip bomb", Archives.zipBomb("zeros.bin", 40 << 20));
    unsafeZips.put(
        "zip name of 300 characters", Archives.zip(Map.of("m/" + "a".repeat(300) + ".onnx", onnx)));
    unsafeZips.put(
        "zip path of 5000 bytes",
        Archives.zip(Map.of(("abcdefghij/").repeat(500) + "m.onnx", onnx)));
    unsafeZips.put("zip control character", Archives.zip(Map.of("m\u0007.onnx", onnx)));
    unsafeZips.put(
        "zip within a zip",
        Archives.zip(Map.of("inner.zip", Archives.zip(Map.of("m.onnx", onnx)))));
    unsafeZips.put("empty zip", Archives.zip(Map.of()));
    unsafeZips.put("two models", Archives.zip(Map.of("a.onnx", onnx, "b.onnx", onnx)));
    unsafeZips.put(
        "zip claiming 1 entry over 100001 central-directory headers",
        centralDirectoryFlood(100_001));
    byte[] truncated = Archives.zip(Map.of("m.onnx", onnx));
    unsafeZips.put("truncated zip", Arrays.copyOf(truncated, truncated.length - 30));
    unsafeZips.forEach(
        (name, bytes) -> corpus.add(new Case(name, () -> upload(model, bytes), 422)));

    Map<String, byte[]> unsafeTars = new LinkedHashMap<>();
    unsafeTars.put(
        "tar symlink",
        Archives.tarGz(Map.of("m.onnx", onnx), Map.of("w.bin", "/etc/passwd"), Map.of()));
    unsafeTars.put(
        "tar hard link",
        Archives.tarGz(Map.of("m.onnx", onnx), Map.of(), Map.of("w.bin", "/etc/passwd")));
    unsafeTars.put("tar FIFO", special(TarArchiveEntry.LF_FIFO, onnx));
    unsafeTars.put("tar character device", special(TarArchiveEntry.LF_CHR, onnx));
    unsafeTars.put("tar block device", special(TarArchiveEntry.LF_BLK, onnx));
    unsafeTars.put("tar GNU sparse file", special(TarArchiveEntry.LF_GNUTYPE_SPARSE, onnx));
    unsafeTars.put("tar unknown entry type", special((byte) 'Q', onnx));
    unsafeTars.put("tar extended header over 1 MB", rawTarWithHeader((byte) 'x', 2 << 20));
    unsafeTars.put("tar long name over 1 MB", rawTarWithHeader((byte) 'L', 2 << 20));
    unsafeTars.put(
        "tar file then a folder of its name",
        Archives.tar(
            true,
            tar -> {
              Archives.entry(tar, "m/a", TarArchiveEntry.LF_NORMAL, onnx);
              Archives.entry(tar, "m/a/model.onnx", TarArchiveEntry.LF_NORMAL, onnx);
            }));
    unsafeTars.put(
        "tar folder then a file of its name",
        Archives.tar(
            true,
            tar -> {
              Archives.entry(tar, "m/a/", TarArchiveEntry.LF_DIR, new byte[0]);
              Archives.entry(tar, "m/a", TarArchiveEntry.LF_NORMAL, onnx);
            }));
    unsafeTars.put(
        "tar zip-slip",
        Archives.tar(
            true,
            tar -> Archives.entry(tar, "../../../tmp/m.onnx", TarArchiveEntry.LF_NORMAL, onnx)));
    byte[] tgz = Archives.tarGz(Map.of("m.onnx", onnx));
    unsafeTars.put("truncated tar.gz", Arrays.copyOf(tgz, tgz.length / 2));
    unsafeTars.forEach(
        (name, bytes) -> corpus.add(new Case(name, () -> upload(model, bytes), 422)));
    corpus.add(
        new Case(
            "TorchScript declaring 40 MB of tensors",
            () ->
                api.uploadMultipart(
                    model,
                    torchScriptDeclaring(40 << 20),
                    "m.pt",
                    "{\"signature\":" + Fixtures.DIGITS_SIGNATURE + "}"),
            422));
  }

  private void savedModels(List<Case> corpus, String model) {
    HostileSavedModels.refusedNodes()
        .forEach(
            (op, attrs) -> {
              byte[] archive = HostileSavedModels.archive(HostileSavedModels.withNode(op, attrs));
              corpus.add(new Case("SavedModel node " + op, () -> upload(model, archive), 422));
            });
    for (String op : List.of("ReadFile", "WriteFile", "RestoreV2", "PyFunc")) {
      byte[] archive = HostileSavedModels.archive(HostileSavedModels.withFunction(op));
      corpus.add(new Case("SavedModel function running " + op, () -> upload(model, archive), 422));
    }
    for (var misuse :
        Map.of(
                "serving node reading the saver", HostileSavedModels.tf1SaverReadByServing(),
                "signature on the saver", HostileSavedModels.tf1SaverInSignature(),
                "serving node calling the restore function",
                    HostileSavedModels.tf2SaverCalledByServing(),
                "restore that also writes", HostileSavedModels.tf1SaverWritingWhileRestoring(),
                "restore of another file (TF1)", HostileSavedModels.tf1SaverRestoringAnotherFile(),
                "restore of another file (TF2)", HostileSavedModels.tf2SaverRestoringAnotherFile(),
                "print to the caller's stream", HostileSavedModels.printToCallersFile(),
                "two functions of one name", HostileSavedModels.duplicateFunctions(),
                "restore called through a nested attribute",
                    HostileSavedModels.tf2SaverCalledThroughNestedAttribute())
            .entrySet()) {
      byte[] archive = HostileSavedModels.archive(misuse.getValue());
      corpus.add(new Case("SavedModel " + misuse.getKey(), () -> upload(model, archive), 422));
    }
  }

  private void names(List<Case> corpus, String model) {
    byte[] onnx = OnnxModels.mlp(3, 4, 2).toByteArray();
    corpus.add(
        new Case(
            "file name of 300 characters",
            () -> api.upload(model, onnx, "filename=" + "f".repeat(300)),
            400));
    corpus.add(
        new Case(
            "file name with a slash", () -> api.upload(model, onnx, "filename=a%2Fb.onnx"), 400));
    corpus.add(
        new Case(
            "file name with a backslash",
            () -> api.upload(model, onnx, "filename=..%5Cevil.onnx"),
            400));
    corpus.add(
        new Case(
            "file name with a control character",
            () -> api.upload(model, onnx, "filename=a%01.onnx"),
            400));
    corpus.add(new Case("file name ..", () -> api.upload(model, onnx, "filename=.."), 400));
    corpus.add(
        new Case(
            "multipart file name climbing out",
            () -> api.uploadMultipart(model, onnx, "../../etc/x.onnx", null),
            400));
    corpus.add(
        new Case(
            "model name with SQL",
            () -> api.upload("a%27%3Bdrop%20table%20model%3B--", onnx, null),
            400));
    corpus.add(
        new Case(
            "model name of 300 characters", () -> api.upload("m".repeat(300), onnx, null), 400));
    corpus.add(
        new Case(
            "model name with upper case and percent",
            () -> api.upload("Model%25", onnx, null),
            400));
    corpus.add(
        new Case(
            "alias with SQL",
            () ->
                api.putJson(
                    "/api/v1/models/" + model + "/aliases/x%27%20or%201%3D1", Map.of("version", 1)),
            400));
    corpus.add(
        new Case(
            "upload as text/plain",
            () -> api.sendRaw("POST", "/api/v1/models/" + model + "/versions", "text/plain", onnx),
            415));
    corpus.add(
        new Case(
            "metadata part over 1 MB",
            () ->
                api.uploadMultipart(
                    model, onnx, "m.onnx", "{\"description\":\"" + "d".repeat(2 << 20) + "\"}"),
            400));
    corpus.add(
        new Case(
            "metadata part nested 200 deep",
            () -> api.uploadMultipart(model, onnx, "m.onnx", "[".repeat(200) + "]".repeat(200)),
            400));
  }

  private void registryJson(List<Case> corpus) {
    String model = uniqueName("json");
    corpus.add(
        new Case(
            "JSON nested 1000 deep",
            () ->
                api.postJson(
                    "/api/v1/models", "{\"name\":" + "[".repeat(1000) + "]".repeat(1000) + "}"),
            400));
    corpus.add(
        new Case(
            "number of 500 digits",
            () ->
                api.putJson(
                    "/api/v1/models/" + model + "/aliases/production",
                    "{\"version\":" + "9".repeat(500) + "}"),
            400));
    corpus.add(
        new Case(
            "version as a string",
            () ->
                api.putJson(
                    "/api/v1/models/" + model + "/aliases/production", "{\"version\":\"one\"}"),
            400));
    corpus.add(
        new Case(
            "version as an array",
            () ->
                api.putJson("/api/v1/models/" + model + "/aliases/production", "{\"version\":[1]}"),
            400));
    corpus.add(
        new Case(
            "NaN as a version",
            () ->
                api.putJson("/api/v1/models/" + model + "/aliases/production", "{\"version\":NaN}"),
            400));
    corpus.add(
        new Case(
            "name as an object",
            () -> api.postJson("/api/v1/models", "{\"name\":{\"a\":1}}"),
            400));
    corpus.add(
        new Case(
            "300 tags",
            () -> api.postJson("/api/v1/models", Map.of("name", model, "tags", manyTags(300))),
            400));
    corpus.add(
        new Case(
            "description of 20000 characters",
            () ->
                api.postJson(
                    "/api/v1/models", Map.of("name", model, "description", "d".repeat(20_000))),
            400));
    corpus.add(new Case("not JSON", () -> api.postJson("/api/v1/models", "name=evil"), 400));
    corpus.add(
        new Case(
            "key nested 500 deep",
            () ->
                api.postJson(
                    "/api/v1/keys", "{\"models\":" + "[".repeat(500) + "]".repeat(500) + "}"),
            400));
    // Limits of the server's own, below the parser's defaults: these bodies would otherwise be
    // read, the unknown field ignored, and the model created.
    corpus.add(
        new Case(
            "ignored field nested 100 deep",
            () ->
                api.postJson(
                    "/api/v1/models",
                    "{\"name\":\""
                        + model
                        + "-n\",\"x\":"
                        + "[".repeat(100)
                        + "]".repeat(100)
                        + "}"),
            400));
    corpus.add(
        new Case(
            "ignored number of 150 digits",
            () ->
                api.postJson(
                    "/api/v1/models",
                    "{\"name\":\"" + model + "-d\",\"x\":" + "1".repeat(150) + "}"),
            400));
    corpus.add(
        new Case(
            "ignored field name of 2000 characters",
            () ->
                api.postJson(
                    "/api/v1/models",
                    "{\"name\":\"" + model + "-f\",\"" + "k".repeat(2000) + "\":1}"),
            400));
    corpus.add(
        new Case(
            "field name of 5000 characters",
            () -> api.postJson("/api/v1/models", "{\"" + "n".repeat(5000) + "\":1}"),
            400));
  }

  private void inference(List<Case> corpus, String model) {
    String v2 = "/v2/models/" + model + "/infer";
    String tf = "/v1/models/" + model + ":predict";
    String good =
        "{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,64],\"data\":" + zeros(64) + "}";
    Map<String, String> bodies = new LinkedHashMap<>();
    bodies.put("inputs as a string", "{\"inputs\":\"x\"}");
    bodies.put(
        "shape as an object",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":{\"a\":1},\"data\":[1]}]}");
    bodies.put(
        "data as a string",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,1],\"data\":\"abc\"}]}");
    bodies.put(
        "NaN in a JSON body",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[NaN]}]}");
    bodies.put(
        "data nested 1000 deep",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":"
            + "[".repeat(1000)
            + "1"
            + "]".repeat(1000)
            + "}]}");
    bodies.put(
        "number of 300 digits",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":["
            + "7".repeat(300)
            + "]}]}");
    bodies.put(
        "rank 40",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":"
            + ones(40)
            + ",\"data\":[1]}]}");
    bodies.put(
        "negative dimension",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,64],\"data\":[1]}]}");
    bodies.put(
        "empty tensor with enormous dimensions",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[0,1099511627776,1099511627776],\"data\":[]}]}");
    bodies.put(
        "shape of 2^25 elements",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,33554432],\"data\":[1]}]}");
    bodies.put(
        "shape overflowing a long",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[4294967296,4294967296,4294967296],\"data\":[1]}]}");
    bodies.put(
        "element count not matching the shape",
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,64],\"data\":[1,2,3]}]}");
    bodies.put(
        "unknown input",
        "{\"inputs\":[{\"name\":\"other\",\"datatype\":\"FP32\",\"shape\":[1,64],\"data\":"
            + zeros(64)
            + "}]}");
    bodies.put("input given twice", "{\"inputs\":[" + good + "," + good + "]}");
    bodies.put(
        "string of 17 MB", "{\"id\":\"" + "s".repeat(17 << 20) + "\",\"inputs\":[" + good + "]}");
    bodies.put("not JSON", "inputs=1");
    bodies.forEach(
        (name, body) -> corpus.add(new Case("v2 " + name, () -> api.postJson(v2, body), 400)));
    corpus.add(
        new Case(
            "TF Serving instances as a number", () -> api.postJson(tf, "{\"instances\":5}"), 400));
    corpus.add(
        new Case(
            "TF Serving nested 1000 deep",
            () -> api.postJson(tf, "{\"instances\":" + "[".repeat(1000) + "]".repeat(1000) + "}"),
            400));
    corpus.add(
        new Case(
            "TF Serving strings for floats",
            () -> api.postJson(tf, "{\"instances\":[[\"a\",\"b\"]]}"),
            400));
    corpus.add(
        new Case(
            "declared 100 MB body to a served model", () -> declaredBody(v2, 100L << 20), 413));
    corpus.add(
        new Case(
            "declared 100 MB body to an unknown model",
            () -> declaredBody("/v2/models/" + uniqueName("nobody") + "/infer", 100L << 20),
            404));
    corpus.add(
        new Case(
            "inference on an unknown model",
            () -> api.postJson("/v2/models/" + uniqueName("nobody") + "/infer", "{}"),
            404));
  }

  // ---- helpers ----

  private Response upload(String model, byte[] artifact) {
    return api.upload(model, artifact, null);
  }

  private static byte[] archive(ModelProto model) {
    return Archives.tarGz(
        Map.of(
            "m/model.onnx",
            model.toByteArray(),
            "m/" + HostileModels.DATA_FILE,
            HostileModels.DATA));
  }

  private static ModelProto withInput(ModelProto model, ValueInfoProto input) {
    ModelProto.Builder builder = model.toBuilder();
    builder
        .getGraphBuilder()
        .setInput(0, input.toBuilder().setName(model.getGraph().getInput(0).getName()));
    return builder.build();
  }

  private static ModelProto deeplyNested(int depth) {
    GraphProto inner = GraphProto.newBuilder().setName("leaf").build();
    for (int i = 0; i < depth; i++) {
      inner =
          GraphProto.newBuilder()
              .setName("g" + i)
              .addNode(
                  NodeProto.newBuilder()
                      .setOpType("If")
                      .addAttribute(
                          AttributeProto.newBuilder()
                              .setName("then_branch")
                              .setType(AttributeProto.AttributeType.GRAPH)
                              .setG(inner)))
              .build();
    }
    ModelProto mlp = OnnxModels.mlp(4, 4, 2);
    ModelProto.Builder builder = mlp.toBuilder();
    builder.getGraphBuilder().addNode(inner.getNode(0));
    return builder.build();
  }

  private static byte[] special(byte type, byte[] onnx) {
    return Archives.tar(
        true,
        tar -> {
          Archives.entry(tar, "m/model.onnx", TarArchiveEntry.LF_NORMAL, onnx);
          Archives.entry(tar, "m/special", type, new byte[0]);
        });
  }

  /**
   * A tar whose first entry is a {@code type} header (PAX or GNU long name) of {@code size} bytes,
   * written by hand: tar writers refuse, or take minutes, to write names this long.
   */
  private static byte[] rawTarWithHeader(byte type, int size) {
    byte[] header = new byte[512];
    byte[] name = "././@LongLink".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(name, 0, header, 0, name.length);
    put(header, 100, "0000644");
    put(header, 108, "0000000");
    put(header, 116, "0000000");
    put(header, 124, String.format("%011o", size));
    put(header, 136, "00000000000");
    header[156] = type;
    put(header, 257, "ustar");
    put(header, 263, "00");
    Arrays.fill(header, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    put(header, 148, String.format("%06o", sum));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header);
    byte[] body = new byte[(size + 511) / 512 * 512];
    Arrays.fill(body, 0, size, (byte) 'a');
    out.writeBytes(body);
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  private static void put(byte[] block, int at, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, block, at, bytes.length);
  }

  /**
   * A zip whose end record claims one entry, over a central directory of {@code headers} headers: a
   * zip reader reads headers for as long as they go on.
   */
  private static byte[] centralDirectoryFlood(int headers) {
    ByteBuffer zip = ByteBuffer.allocate(headers * 46 + 22).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < headers; i++) {
      zip.putInt(0x02014b50).put(new byte[42]);
    }
    zip.putInt(0x06054b50).putShort((short) 0).putShort((short) 0);
    zip.putShort((short) 1).putShort((short) 1).putInt(headers * 46).putInt(0).putShort((short) 0);
    return zip.array();
  }

  private static byte[] torchScriptDeclaring(int bytes) {
    return Archives.zip(
        Map.of(
            "m/data.pkl", new byte[] {1},
            "m/code/m.py", "def f(): pass".getBytes(StandardCharsets.UTF_8),
            "m/data/0", new byte[bytes]));
  }

  /** Sends only headers declaring {@code length} bytes and reads the answer. */
  private Response declaredBody(String path, long length) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                  + TestSecrets.adminKey()
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + length
                  + "\r\nConnection: close\r\n\r\n{")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // The answer comes at once; the server then waits (up to its connection timeout) for the
      // rest of a body that never comes, so read the head rather than to the end.
      socket.setSoTimeout(10_000);
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        head.write(b);
      }
      String answer = head.toString(StandardCharsets.US_ASCII);
      int status = Integer.parseInt(answer.substring(9, 12));
      String contentType =
          answer
              .lines()
              .filter(l -> l.toLowerCase().startsWith("content-type:"))
              .findFirst()
              .orElse("");
      HttpHeaders headers =
          HttpHeaders.of(
              Map.of(
                  "Content-Type",
                  List.of(contentType.substring(contentType.indexOf(':') + 1).strip())),
              (a, b) -> true);
      return new Response(status, headers, new byte[0], json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, String> manyTags(int n) {
    Map<String, String> tags = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      tags.put("t" + i, "v");
    }
    return tags;
  }

  private static String zeros(int n) {
    return "[" + String.join(",", Collections.nCopies(n, "0")) + "]";
  }

  private static String ones(int n) {
    return "[" + String.join(",", Collections.nCopies(n, "1")) + "]";
  }

  private static Set<Path> files(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return Set.of();
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      return new HashSet<>(paths.filter(Files::isRegularFile).toList());
    }
  }
}
