package dev.modelhub.serving.internal;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoopTranslator;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.registry.AliasTarget;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.serving.Tensor;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads a cached artifact into its engine (ONNX Runtime, PyTorch or TensorFlow through DJL),
 * creates the predictor pool and warms it up with inputs generated from the signature, so that the
 * first real request is not the slow one.
 */
public class ModelLoader {

  private final ServingProperties properties;
  private final Clock clock;

  public ModelLoader(ServingProperties properties, Clock clock) {
    this.properties = properties;
    this.clock = clock;
  }

  public LoadedVersion load(AliasTarget target, Path localDir) throws Exception {
    checkDatatypes(target);
    EngineBootstrap.prepare(properties);
    Model model =
        Model.newInstance(target.model() + "-v" + target.version(), engine(target.format()));
    List<Predictor<NDList, NDList>> predictors = new ArrayList<>();
    try {
      loadArtifact(model, target, localDir);
      for (int i = 0; i < Math.max(1, properties.predictors()); i++) {
        predictors.add(model.newPredictor(new NoopTranslator()));
      }
      LoadedVersion loaded =
          new LoadedVersion(
              target.model(),
              target.version(),
              target.digest(),
              target.format(),
              target.signature(),
              model,
              predictors,
              clock.instant());
      warmUp(loaded);
      return loaded;
    } catch (Exception | Error e) {
      predictors.forEach(Predictor::close);
      model.close();
      throw e;
    }
  }

  /** Refuses, before any native code runs, a signature the engine cannot take. */
  private static void checkDatatypes(AliasTarget target) {
    List<TensorSpec> all = new ArrayList<>(target.signature().inputs());
    all.addAll(target.signature().outputs());
    for (TensorSpec spec : all) {
      if (!TensorConversion.supported(target.format(), spec.datatype())) {
        throw new IllegalArgumentException(
            "tensor '"
                + spec.name()
                + "' is "
                + spec.datatype()
                + ", which the "
                + engine(target.format())
                + " engine cannot take (it takes "
                + TensorConversion.supportedBy(target.format())
                + ")");
      }
    }
  }

  static String engine(ModelFormat format) {
    return switch (format) {
      case ONNX -> "OnnxRuntime";
      case TORCHSCRIPT -> "PyTorch";
      case SAVED_MODEL -> "TensorFlow";
    };
  }

  private void loadArtifact(Model model, AliasTarget target, Path dir) throws Exception {
    Map<String, Object> details = target.formatDetails();
    switch (target.format()) {
      case ONNX -> {
        Object inArchive = details.get("modelFile");
        Path file =
            inArchive == null
                ? dir.resolve("model.onnx")
                : dir.resolve("unpacked").resolve(inArchive.toString());
        String threads = Integer.toString(properties.intraOpThreads());
        model.load(file, null, Map.of("interOpNumThreads", "1", "intraOpNumThreads", threads));
      }
      case TORCHSCRIPT -> model.load(dir, "model.pt");
      case SAVED_MODEL -> {
        Object modelDir = details.getOrDefault("modelDir", "");
        model.load(dir.resolve("unpacked").resolve(modelDir.toString()).normalize());
      }
    }
  }

  private void warmUp(LoadedVersion loaded) throws Exception {
    List<Tensor> inputs = new ArrayList<>();
    for (TensorSpec spec : loaded.signature().inputs()) {
      inputs.add(sample(spec));
    }
    for (int i = 0; i < properties.warmupRequests(); i++) {
      loaded.predict(inputs);
    }
  }

  /** A zero-filled input of batch 1 (unknown dimensions become 1). */
  static Tensor sample(TensorSpec spec) {
    List<Long> dims = spec.shape() == null ? List.of(1L) : spec.shape();
    long[] shape = dims.stream().mapToLong(d -> d < 0 ? 1 : d).toArray();
    int count = Math.toIntExact(Tensor.elements(shape));
    Object data =
        switch (spec.datatype()) {
          case "FP16", "BF16", "FP32", "FP64" -> new double[count];
          case "BOOL" -> new boolean[count];
          default -> new long[count];
        };
    return new Tensor(spec.name(), spec.datatype(), shape, data);
  }
}
