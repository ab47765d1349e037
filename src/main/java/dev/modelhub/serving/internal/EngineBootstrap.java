package dev.modelhub.serving.internal;

import dev.modelhub.common.FileTrees;
import dev.modelhub.common.NativeEnvironment;
import dev.modelhub.serving.ServingProperties;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares DJL's engines to start without the internet: offline mode, an engine cache folder of our
 * own, and TensorFlow's natives. DJL 0.36 would download TensorFlow 2.16.1 at first use; Maven
 * Central serves the 2.10.1 natives, whose properties name a CUDA flavor DJL ignores on CPU. So the
 * three libraries are copied from the classpath once and TENSORFLOW_LIBRARY_PATH points at them
 * before TensorFlow is first touched (DESIGN.md §4).
 */
public final class EngineBootstrap {

  private static final Logger log = LoggerFactory.getLogger(EngineBootstrap.class);

  static final String TF_VERSION = "2.10.1";
  static final List<String> TF_LIBRARIES =
      List.of("libjnitensorflow.so", "libtensorflow_cc.so.2", "libtensorflow_framework.so.2");

  private static boolean prepared;

  private EngineBootstrap() {}

  /**
   * Sets the process-wide engine properties. DJL reads them from system properties, which are
   * global by nature; the first call wins and later calls are no-ops.
   */
  public static void prepare(ServingProperties properties) {
    prepare(properties.engineCacheDir(), properties.intraOpThreads());
  }

  /** The same with the two settings it reads (an engine host has no Spring settings). */
  public static synchronized void prepare(Path engineCacheDir, int intraOpThreads) {
    if (prepared) {
      return;
    }
    Path cacheDir = engineCacheDir.toAbsolutePath().normalize();
    System.setProperty("ai.djl.offline", "true");
    // ONNX Runtime would otherwise load all of libtorch as a helper for NDArray operations that
    // serving never uses.
    System.setProperty("ai.djl.onnx.disable_alternative", "true");
    System.setProperty("ENGINE_CACHE_DIR", cacheDir.toString());
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOpThreads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    // The profiling executor re-optimizes on every new input shape: latency spikes under varying
    // batch sizes. Serving wants steady latency more than the last few percent.
    System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
    System.setProperty("ai.djl.tensorflow.num_intraop_threads", Integer.toString(intraOpThreads));
    System.setProperty("ai.djl.tensorflow.num_interop_threads", "1");
    // JavaCPP (under TensorFlow) prints warnings to stderr unless routed to a logger.
    System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
    NativeEnvironment.prepare();
    if (System.getProperty("TENSORFLOW_LIBRARY_PATH") == null
        && System.getenv("TENSORFLOW_LIBRARY_PATH") == null) {
      Path tf =
          extractTensorFlow(cacheDir.resolve("tensorflow-" + TF_VERSION + "-cpu-linux-x86_64"));
      if (tf != null) {
        System.setProperty("TENSORFLOW_LIBRARY_PATH", tf.toString());
      }
    }
    prepared = true;
  }

  /** Copies TensorFlow's natives out of the classpath once; null when they are not on it. */
  private static Path extractTensorFlow(Path target) {
    if (TF_LIBRARIES.stream().allMatch(name -> Files.isRegularFile(target.resolve(name)))) {
      return target;
    }
    ClassLoader loader = EngineBootstrap.class.getClassLoader();
    if (loader.getResource("native/lib/" + TF_LIBRARIES.get(0)) == null) {
      log.warn("TensorFlow natives are not on the classpath; SavedModels cannot be served");
      return null;
    }
    try {
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempDirectory(target.getParent(), "tensorflow-");
      for (String name : TF_LIBRARIES) {
        try (InputStream in = loader.getResourceAsStream("native/lib/" + name)) {
          Files.copy(in, tmp.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      // Another node process may have finished first; either copy is complete and identical.
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException alreadyThere) {
        FileTrees.deleteQuietly(tmp);
      }
      log.info("Extracted TensorFlow {} natives to {}", TF_VERSION, target);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract TensorFlow natives to " + target, e);
    }
  }
}
