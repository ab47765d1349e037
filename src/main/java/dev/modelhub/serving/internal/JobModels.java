package dev.modelhub.serving.internal;

import dev.modelhub.format.ModelSignature;
import dev.modelhub.registry.AliasTarget;
import dev.modelhub.registry.VersionRef;
import dev.modelhub.serving.ModelRunner;
import dev.modelhub.serving.Tensor;
import java.nio.file.Path;
import java.util.List;

/** {@link ModelRunner} on the node's artifact cache and model loader. */
public final class JobModels implements ModelRunner {

  private final ArtifactCache cache;
  private final ModelLoader loader;

  public JobModels(ArtifactCache cache, ModelLoader loader) {
    this.cache = cache;
    this.loader = loader;
  }

  @Override
  public Opened open(VersionRef version) throws Exception {
    AliasTarget target = version.target();
    Path dir = cache.acquire(version.digest(), version.format(), version.sizeBytes());
    try {
      ModelLoader.JobModel model = loader.openForJob(target, dir);
      return opened(model, () -> cache.release(version.digest()));
    } catch (Exception | Error e) {
      cache.release(version.digest());
      throw e;
    }
  }

  @Override
  public Opened openOnnx(String name, Path file, ModelSignature signature) throws Exception {
    return opened(loader.openOnnxForJob(name, file, signature), () -> {});
  }

  private static Opened opened(ModelLoader.JobModel model, Runnable release) {
    java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();
    return new Opened() {
      @Override
      public List<Tensor> call(List<Tensor> inputs) throws Exception {
        return model.call(inputs);
      }

      @Override
      public void close() {
        if (!closed.compareAndSet(false, true)) {
          return; // the cache pin is released once, however often a job closes its model
        }
        try {
          model.close();
        } finally {
          release.run();
        }
      }
    };
  }
}
