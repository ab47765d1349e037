package dev.modelhub.hostile;

import dev.modelhub.artifact.ArchiveRejectedException;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.common.FileTrees;
import dev.modelhub.format.FormatProperties;
import dev.modelhub.format.InvalidArtifactException;
import dev.modelhub.format.ModelInspector;
import dev.modelhub.format.internal.OnnxInspector;
import dev.modelhub.format.internal.SavedModelInspector;
import dev.modelhub.format.internal.TorchScriptInspector;
import dev.modelhub.support.Archives;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.TestProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.springframework.util.unit.DataSize;

/**
 * The parsers that read uploads — the safe unpacker and the model inspector (ONNX's protobuf reader
 * among it) — fed arbitrary bytes, and real inputs with a few bytes mutated or cut short, throw
 * nothing but the project's own invalid-input errors: never an exception that would turn into a
 * 500, never an error. ({@code V2JsonPropertiesTest} does the same for inference bodies.)
 */
public class ParserPropertiesTest {

  private static Path work;
  private static SafeUnpacker unpacker;
  private static ModelInspector inspector;
  private static final byte[] ONNX = Fixtures.bytes("digits_mlp.onnx");
  private static final byte[] ZIP = Archives.zip(Map.of("m/model.onnx", ONNX));
  private static final byte[] TAR_GZ = Archives.tarGz(Map.of("m/model.onnx", ONNX));

  @BeforeContainer
  static void setUp() throws IOException {
    work = Files.createTempDirectory("properties-");
    unpacker = TestProperties.unpacker(work.resolve("spool"), DataSize.ofMegabytes(64), 1000);
    inspector =
        new ModelInspector(
            unpacker,
            new OnnxInspector(),
            new SavedModelInspector(),
            new TorchScriptInspector(),
            new FormatProperties(List.of("onnx", "saved_model", "torchscript")));
  }

  @AfterContainer
  static void tearDown() {
    FileTrees.deleteQuietly(work);
  }

  @Property(tries = 300)
  void the_unpacker_refuses_any_bytes_it_cannot_unpack_with_its_own_error(
      @ForAll("archiveLike") byte[] bytes) throws IOException {
    Path archive = Files.write(Files.createTempFile(work, "a", ".bin"), bytes);
    try (var unpacked = unpacker.unpackToTemp(archive)) {
      unpacked.files();
    } catch (ArchiveRejectedException expected) {
      // the only way an archive may be refused
    } finally {
      Files.delete(archive);
    }
  }

  @Property(tries = 300)
  void the_inspector_refuses_any_bytes_that_are_no_model_with_its_own_error(
      @ForAll("modelLike") byte[] bytes) throws IOException {
    Path file = Files.write(Files.createTempFile(work, "m", ".onnx"), bytes);
    try {
      inspector.inspect(file, "m.onnx", null, null);
    } catch (InvalidArtifactException | ArchiveRejectedException expected) {
      // the only way an upload may be refused
    } finally {
      Files.delete(file);
    }
  }

  @Provide
  Arbitrary<byte[]> archiveLike() {
    return Arbitraries.oneOf(
        randomBytes(), mutated(ZIP), mutated(TAR_GZ), truncated(ZIP), truncated(TAR_GZ));
  }

  @Provide
  Arbitrary<byte[]> modelLike() {
    return Arbitraries.oneOf(randomBytes(), mutated(ONNX), truncated(ONNX), mutated(ZIP));
  }

  public static Arbitrary<byte[]> randomBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(4096);
  }

  /** {@code original} with up to eight bytes replaced at random places. */
  public static Arbitrary<byte[]> mutated(byte[] original) {
    return Arbitraries.integers()
        .between(0, original.length - 1)
        .list()
        .ofMinSize(1)
        .ofMaxSize(8)
        .flatMap(
            places ->
                Arbitraries.bytes()
                    .list()
                    .ofSize(places.size())
                    .map(
                        values -> {
                          byte[] copy = original.clone();
                          for (int i = 0; i < places.size(); i++) {
                            copy[places.get(i)] = values.get(i);
                          }
                          return copy;
                        }));
  }

  public static Arbitrary<byte[]> truncated(byte[] original) {
    return Arbitraries.integers()
        .between(0, original.length - 1)
        .map(length -> Arrays.copyOf(original, length));
  }
}
