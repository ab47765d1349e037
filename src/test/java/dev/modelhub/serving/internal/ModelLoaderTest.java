package dev.modelhub.serving.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.FormatProperties;
import dev.modelhub.format.InvalidArtifactException;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelInspector;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.format.internal.OnnxInspector;
import dev.modelhub.format.internal.SavedModelInspector;
import dev.modelhub.format.internal.TorchScriptInspector;
import dev.modelhub.registry.AliasTarget;
import dev.modelhub.serving.ServingProperties;
import dev.modelhub.support.HostileModels;
import dev.modelhub.support.TestProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;

/**
 * The loader checks a model's files again, independently of registration, right before an engine
 * opens them: a model whose folder was written some other way (or whose registration check was
 * bypassed) still cannot make the engine read a file outside it, and a format the operator turned
 * off does not load.
 */
class ModelLoaderTest {

  @TempDir Path dir;

  @Test
  void an_onnx_model_pointing_outside_its_folder_is_refused_before_the_engine_opens_it()
      throws Exception {
    Path unpacked = Files.createDirectories(dir.resolve("unpacked/m"));
    Files.write(
        unpacked.resolve("model.onnx"),
        HostileModels.places()
            .get("constant")
            .apply(HostileModels.external("../../../../etc/passwd", null, null))
            .toByteArray());
    ModelLoader loader = loader(List.of("onnx"));
    assertThatThrownBy(() -> loader.load(target(ModelFormat.ONNX, onnxIn("m/model.onnx")), dir))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("climbs out");
  }

  @Test
  void a_model_file_named_outside_the_folder_is_refused() {
    ModelLoader loader = loader(List.of("onnx"));
    assertThatThrownBy(() -> loader.load(target(ModelFormat.ONNX, onnxIn("../../x.onnx")), dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside its folder");
  }

  @Test
  void a_format_turned_off_does_not_load() throws Exception {
    Files.write(dir.resolve("model.pt"), new byte[16]);
    ModelLoader loader = loader(List.of("onnx"));
    assertThatThrownBy(
            () ->
                loader.load(
                    target(
                        ModelFormat.TORCHSCRIPT, new FormatDetails.TorchScript("m", 1, 0, false)),
                    dir))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("does not accept torchscript");
  }

  private ModelLoader loader(List<String> formats) {
    ModelInspector inspector =
        new ModelInspector(
            TestProperties.unpacker(dir.resolve("spool"), DataSize.ofMegabytes(10), 100),
            new OnnxInspector(),
            new SavedModelInspector(),
            new TorchScriptInspector(),
            new FormatProperties(formats));
    ServingProperties properties =
        new Binder(new MapConfigurationPropertySource(Map.of()))
            .bindOrCreate("modelhub.serving", Bindable.of(ServingProperties.class));
    return new ModelLoader(
        properties,
        inspector,
        new ServingMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()),
        (model, version) -> java.util.Optional.empty(),
        Clock.systemUTC());
  }

  private static FormatDetails onnxIn(String modelFile) {
    return new FormatDetails.Onnx(8, Map.of(), "", "", 0, Map.of(), 0, false, modelFile);
  }

  private static AliasTarget target(ModelFormat format, FormatDetails details) {
    ModelSignature signature =
        new ModelSignature(
            List.of(new TensorSpec("x", Datatype.FP32, List.of(-1L, 4L))),
            List.of(new TensorSpec("y", Datatype.FP32, List.of(-1L, 4L))));
    return new AliasTarget(
        "m",
        "production",
        1,
        "sha256:" + "0".repeat(64),
        1,
        format,
        signature,
        details,
        false,
        null,
        null);
  }
}
