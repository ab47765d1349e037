package dev.modelhub.optimize.internal;

import dev.modelhub.common.Memory;
import dev.modelhub.common.NativeEnvironment;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The process a distillation trains in: it reads the setup and the samples (with the teacher's
 * scores) from the request named by its argument, trains on DJL's PyTorch engine — continuing from
 * {@value #CHECKPOINT} in its folder when there is one — and prints an {@value #EPOCH} line after
 * each epoch's checkpoint is written. At the end it writes the student to {@code model.onnx} and
 * {@value #RESULT}, and prints {@value #DONE}. Its heap is {@code modelhub.jobs.pass-heap}; the
 * engine's tensors live outside it.
 */
public final class DistillHost {

  static final String DONE = "modelhub-distill: DONE";
  static final String FAILED = "modelhub-distill: FAILED ";
  static final String EPOCH = "modelhub-distill: EPOCH ";
  static final String FRESH = "modelhub-distill: FRESH ";
  static final String CHECKPOINT = "checkpoint.bin";
  static final String RESULT = "distill-result.json";
  static final String MODEL = "model.onnx";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private DistillHost() {}

  /** Everything a training run reads. */
  record Request(
      DistillTraining.Setup setup,
      DistillTraining.Samples train,
      DistillTraining.Samples heldOut,
      Path engineCacheDir,
      int threads) {}

  public static void main(String[] args) throws Exception {
    Path requestFile = Path.of(args[0]);
    Path dir = requestFile.toAbsolutePath().getParent();
    Map<String, Object> result = new LinkedHashMap<>();
    try {
      Request request = read(requestFile);
      prepareEngine(request.engineCacheDir(), request.threads());
      DistillTraining.Outcome outcome =
          DistillTraining.train(
              request.setup(),
              request.train(),
              request.heldOut(),
              dir.resolve(CHECKPOINT),
              dir.resolve(MODEL),
              new DistillTraining.Progress() {
                @Override
                public void epoch(PassDetails.DistillEpoch epoch, Path checkpoint) {
                  System.out.println(EPOCH + JSON.writeValueAsString(epoch));
                  System.out.flush();
                }

                @Override
                public void unusable(String why) {
                  System.out.println(FRESH + why.replace('\n', ' '));
                  System.out.flush();
                }
              },
              () -> false);
      result.put("outcome", outcome);
    } catch (OutOfMemoryError | Exception e) {
      PassHost.fail(FAILED, "training", e);
      return;
    }
    result.put("peakHeapBytes", PassHost.peakHeap());
    result.put("peakRssBytes", Memory.peakResident(ProcessHandle.current().pid()));
    Files.writeString(dir.resolve(RESULT), JSON.writeValueAsString(result));
    System.out.println(DONE);
    System.out.flush();
    System.exit(0);
  }

  /** DJL's PyTorch engine offline, its natives in the node's engine cache, its threads bounded. */
  static void prepareEngine(Path engineCacheDir, int threads) {
    NativeEnvironment.prepare();
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("ai.djl.onnx.disable_alternative", "true");
    setIfAbsent("ENGINE_CACHE_DIR", engineCacheDir.toAbsolutePath().toString());
    setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(threads));
    setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** What the process reports. */
  record Result(DistillTraining.Outcome outcome, long peakHeapBytes, long peakRssBytes) {}

  static Result readResult(Path dir) throws IOException {
    Path file = dir.resolve(RESULT);
    // Written by the process: a regular file, never a link, bounded.
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > 16 << 20) {
      throw new JobSandbox.ProcessCrashed("the training process left no valid result");
    }
    return JSON.readValue(Files.readString(file), Result.class);
  }

  /**
   * Hands what a training process printed on to {@code progress}: its epochs and an unusable
   * checkpoint. Never throws: it runs on the thread reading the process, which must keep reading.
   */
  static void relay(String line, DistillTraining.Progress progress) {
    try {
      if (line.startsWith(EPOCH)) {
        progress.epoch(
            JSON.readValue(line.substring(EPOCH.length()), PassDetails.DistillEpoch.class), null);
      } else if (line.startsWith(FRESH)) {
        progress.unusable(line.substring(FRESH.length()));
      }
    } catch (IOException | RuntimeException e) {
      // an unreadable line: the result file still tells how training went
    }
  }

  static void write(Path file, Request request) throws IOException {
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
      Map<String, Object> header = new LinkedHashMap<>();
      header.put("params", request.setup().params());
      header.put("student", request.setup().student());
      header.put("input", request.setup().input());
      header.put("output", request.setup().output());
      header.put("fingerprint", request.setup().fingerprint());
      header.put("engineCacheDir", request.engineCacheDir().toAbsolutePath().toString());
      header.put("threads", request.threads());
      byte[] text = JSON.writeValueAsBytes(header);
      out.writeInt(text.length);
      out.write(text);
      writeSamples(out, request.train());
      writeSamples(out, request.heldOut());
    }
  }

  static Request read(Path file) throws IOException {
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      JsonNode header = JSON.readTree(in.readNBytes(in.readInt()));
      DistillTraining.Setup setup =
          new DistillTraining.Setup(
              JSON.treeToValue(header.get("params"), PassParameters.Distill.class),
              JSON.treeToValue(header.get("student"), PassParameters.Student.class),
              JSON.treeToValue(header.get("input"), TensorSpec.class),
              JSON.treeToValue(header.get("output"), TensorSpec.class),
              header.get("fingerprint").asString());
      return new Request(
          setup,
          readSamples(in),
          readSamples(in),
          Path.of(header.get("engineCacheDir").asString()),
          header.get("threads").asInt());
    }
  }

  private static void writeSamples(DataOutputStream out, DistillTraining.Samples samples)
      throws IOException {
    out.writeInt(samples.count());
    FloatFrames.write(out, samples.inputs());
    FloatFrames.write(out, samples.teacher());
    out.writeBoolean(samples.labels() != null);
    if (samples.labels() != null) {
      ByteBuffer bytes = ByteBuffer.allocate(samples.labels().length * Integer.BYTES);
      bytes.asIntBuffer().put(samples.labels());
      out.writeInt(samples.labels().length);
      out.write(bytes.array());
    }
  }

  private static DistillTraining.Samples readSamples(DataInputStream in) throws IOException {
    int count = in.readInt();
    float[] inputs = FloatFrames.read(in, Integer.MAX_VALUE);
    float[] teacher = FloatFrames.read(in, Integer.MAX_VALUE);
    int[] labels = null;
    if (in.readBoolean()) {
      labels = new int[in.readInt()];
      ByteBuffer.wrap(in.readNBytes(labels.length * Integer.BYTES)).asIntBuffer().get(labels);
    }
    return new DistillTraining.Samples(inputs, teacher, labels, count);
  }
}
