package dev.modelhub.optimize.internal;

import dev.modelhub.common.Memory;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The process a job's pass runs in: it reads the parent named by its request, applies the pass,
 * writes the variant into its own folder, then writes {@value #RESULT} (the pass's details, the
 * variant's parameter count, the time it took, its peak heap and resident memory) and prints
 * {@value #DONE}. Its heap is {@code modelhub.jobs.pass-heap}: a pass that needs more fails with
 * that number rather than taking the worker's heap.
 */
public final class PassHost {

  static final String DONE = "modelhub-pass: DONE";
  static final String FAILED = "modelhub-pass: FAILED ";
  static final String RESULT = "pass-result.json";

  private PassHost() {}

  public static void main(String[] args) throws Exception {
    long started = System.nanoTime();
    Path request = Path.of(args[0]);
    Path dir = request.toAbsolutePath().getParent();
    JsonMapper json = JsonMapper.builder().build();
    Map<String, Object> result = new LinkedHashMap<>();
    try {
      JsonNode fields = json.readTree(Files.readString(request));
      Passes passes = new Passes();
      Pass<?> pass = passes.graphPass(fields.get("pass").asString()).orElseThrow();
      PassParameters params = passes.stored(pass, fields.get("params"));
      Set<String> keepFloat = new HashSet<>();
      fields.get("keepFloat").forEach(n -> keepFloat.add(n.asString()));
      Path parent = Path.of(fields.get("parent").asString());
      if (fields.get("candidatesOnly").asBoolean()) {
        try (OnnxGraph graph = OnnxGraph.read(parent)) {
          result.put("candidates", pass.candidatesFor(graph, params));
        }
      } else {
        PassDetails details;
        try (OnnxGraph graph = OnnxGraph.read(parent, dir)) {
          details = pass.applyFor(graph, params, keepFloat);
          result.put("parameters", graph.parameterCount());
          graph.write();
        }
        result.put("details", details);
      }
    } catch (OutOfMemoryError | Exception e) {
      fail(FAILED, "the pass", e);
      return;
    }
    result.put("seconds", (System.nanoTime() - started) / 1e9);
    result.put("peakHeapBytes", peakHeap());
    result.put("peakRssBytes", Memory.peakResident(ProcessHandle.current().pid()));
    Files.writeString(dir.resolve(RESULT), json.writeValueAsString(result));
    System.out.println(DONE);
    System.out.flush();
    System.exit(0);
  }

  /**
   * Reports why a job's process failed on its {@code failed} line and exits: running out of the
   * pass heap says so with its size (what {@code work} needed), anything else by its class and
   * message.
   */
  static void fail(String failed, String work, Throwable e) {
    String message =
        e instanceof OutOfMemoryError
            ? work
                + " needed more heap than the "
                + (Runtime.getRuntime().maxMemory() >> 20)
                + " MiB modelhub.jobs.pass-heap gives it"
            : e.getClass().getSimpleName() + ": " + e.getMessage();
    System.out.println(failed + message.replace('\n', ' '));
    System.out.flush();
    System.exit(2);
  }

  /** The sum of the heap pools' peaks: an upper bound of the heap the pass held at once. */
  static long peakHeap() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak;
  }
}
