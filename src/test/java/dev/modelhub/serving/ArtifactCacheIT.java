package dev.modelhub.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelhub.artifact.ArtifactStore;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.serving.internal.ArtifactCache;
import dev.modelhub.support.Archives;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.SavedModels;
import dev.modelhub.support.ServingTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.util.unit.DataSize;

/** The local artifact cache against the real object store: verified, unpacked, bounded. */
class ArtifactCacheIT extends ServingTest {

  @Autowired ArtifactStore store;
  @Autowired SafeUnpacker unpacker;
  @TempDir Path dir;

  @Test
  void evicts_the_least_recently_used_unpinned_artifact_and_never_a_pinned_one() {
    String model = uniqueName("cache");
    // Three ~16 KB models in a cache bounded at 40 KB.
    String a = digestOf(model, OnnxModels.mlp(1, 64, 60, 4).toByteArray());
    String b = digestOf(model, OnnxModels.mlp(2, 64, 60, 4).toByteArray());
    String c = digestOf(model, OnnxModels.mlp(3, 64, 60, 4).toByteArray());
    ArtifactCache cache = new ArtifactCache(store, unpacker, dir, DataSize.ofKilobytes(40));

    Path pathA = cache.acquire(a, ModelFormat.ONNX, 16 << 10);
    Path pathB = cache.acquire(b, ModelFormat.ONNX, 16 << 10);
    cache.release(b);
    Path pathC = cache.acquire(c, ModelFormat.ONNX, 16 << 10);

    assertThat(pathA.resolve("model.onnx")).exists();
    assertThat(pathB).doesNotExist();
    assertThat(pathC.resolve("model.onnx")).exists();
    assertThat(cache.sizeBytes()).isLessThanOrEqualTo(40 * 1024);

    // A new cache over the same folder finds what is there and downloads nothing twice.
    ArtifactCache restarted = new ArtifactCache(store, unpacker, dir, DataSize.ofKilobytes(40));
    assertThat(restarted.acquire(c, ModelFormat.ONNX, 16 << 10)).isEqualTo(pathC);
  }

  @Test
  void saved_model_archives_are_unpacked_through_the_safe_unpacker() throws Exception {
    String model = uniqueName("cache-tf");
    byte[] archive =
        Archives.tarGz(SavedModels.entries("classifier", SavedModels.classifier(5, 8, 2)));
    String digest = digestOf(model, archive);
    ArtifactCache cache = new ArtifactCache(store, unpacker, dir, DataSize.ofMegabytes(10));

    Path path = cache.acquire(digest, ModelFormat.SAVED_MODEL, archive.length);

    assertThat(path.resolve("unpacked/classifier/saved_model.pb")).exists();
    assertThat(Files.list(path).map(p -> p.getFileName().toString()))
        .doesNotContain("artifact.archive");
  }

  private String digestOf(String model, byte[] artifact) {
    return api.upload(model, artifact, null).json().get("digest").asString();
  }
}
