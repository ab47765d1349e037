package dev.modelhub.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelhub.artifact.ArchiveRejectedException;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.format.internal.OnnxInspector;
import dev.modelhub.format.internal.SavedModelInspector;
import dev.modelhub.format.internal.TorchScriptInspector;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.support.Archives;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxModels;
import dev.modelhub.support.SavedModels;
import dev.modelhub.support.TestProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

class ModelInspectorTest {

  private static final ModelSignature DIGITS =
      new ModelSignature(
          List.of(new TensorSpec("input", Datatype.FP32, List.of(-1L, 64L))),
          List.of(new TensorSpec("logits", Datatype.FP32, List.of(-1L, 10L))));

  @TempDir Path temp;
  private ModelInspector inspector;

  @BeforeEach
  void setUp() {
    SafeUnpacker unpacker =
        TestProperties.unpacker(temp.resolve("spool"), DataSize.ofMegabytes(50), 1000);
    inspector =
        new ModelInspector(
            unpacker,
            new OnnxInspector(),
            new SavedModelInspector(),
            new TorchScriptInspector(),
            new FormatProperties(List.of("onnx", "saved_model", "torchscript")));
  }

  @Test
  void onnx_model_from_pytorch_has_its_signature_opset_and_parameter_count() throws IOException {
    ArtifactInspection inspection =
        inspector.inspect(write(Fixtures.bytes("digits_mlp.onnx")), "digits_mlp.onnx", null, null);

    assertThat(inspection.format()).isEqualTo(ModelFormat.ONNX);
    assertThat(inspection.signature()).isEqualTo(DIGITS);
    // 64·256+256 + 256·128+128 + 128·10+10
    assertThat(inspection.parameterCount()).isEqualTo(50_826L);
    FormatDetails.Onnx details = (FormatDetails.Onnx) inspection.details();
    assertThat(details.opsets()).isEqualTo(Map.of("", 13L));
    assertThat(details.externalData()).isFalse();
    assertThat(details.producer()).startsWith("pytorch");
  }

  @Test
  void onnx_graph_inputs_that_are_initializers_are_not_request_inputs() throws IOException {
    ModelProto model = OnnxModels.mlp(1, 8, 4, 2);
    ModelProto withWeightInputs =
        model.toBuilder()
            .setGraph(
                model.getGraph().toBuilder()
                    .addInput(OnnxModels.tensorValue("w0", 1, 8, 4))
                    .addInput(OnnxModels.tensorValue("b0", 1, 4)))
            .build();

    ArtifactInspection inspection =
        inspector.inspect(write(withWeightInputs.toByteArray()), "m.onnx", null, null);

    assertThat(inspection.signature().inputs())
        .extracting(TensorSpec::name)
        .containsExactly("input");
    assertThat(inspection.parameterCount()).isEqualTo(OnnxModels.mlpParameters(8, 4, 2));
  }

  @Test
  void truncated_onnx_is_rejected() throws IOException {
    byte[] model = Fixtures.bytes("digits_mlp.onnx");
    byte[] truncated = Arrays.copyOf(model, model.length - 1000);

    assertThatThrownBy(() -> inspector.inspect(write(truncated), "m.onnx", null, null))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("truncated or corrupt");
  }

  @Test
  void random_bytes_are_not_a_model() throws IOException {
    byte[] noise = new byte[4096];
    new Random(7).nextBytes(noise);

    assertThatThrownBy(() -> inspector.inspect(write(noise), "weights.bin", null, null))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("Unrecognized artifact");
  }

  @Test
  void onnx_with_external_data_is_read_from_an_archive() throws IOException {
    OnnxModels.ExternalModel external =
        OnnxModels.withExternalData(OnnxModels.mlp(2, 16, 8, 4), "weights.bin");
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("model/model.onnx", external.model().toByteArray());
    entries.put("model/weights.bin", external.data());

    ArtifactInspection inspection =
        inspector.inspect(write(Archives.tarGz(entries)), "model.tar.gz", null, null);

    assertThat(inspection.format()).isEqualTo(ModelFormat.ONNX);
    assertThat(inspection.parameterCount()).isEqualTo(OnnxModels.mlpParameters(16, 8, 4));
    FormatDetails.Onnx details = (FormatDetails.Onnx) inspection.details();
    assertThat(details.externalData()).isTrue();
    assertThat(details.modelFile()).isEqualTo("model/model.onnx");
  }

  @Test
  void external_data_pointing_outside_the_archive_is_rejected() throws IOException {
    OnnxModels.ExternalModel external =
        OnnxModels.withExternalData(OnnxModels.mlp(2, 16, 8, 4), "../../../etc/passwd");
    Map<String, byte[]> entries = Map.of("model.onnx", external.model().toByteArray());

    assertThatThrownBy(() -> inspector.inspect(write(Archives.zip(entries)), "m.zip", null, null))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("'../../../etc/passwd'")
        .hasMessageContaining("climbs out of its folder");
  }

  @Test
  void external_data_missing_from_the_archive_is_rejected() throws IOException {
    OnnxModels.ExternalModel external =
        OnnxModels.withExternalData(OnnxModels.mlp(2, 16, 8, 4), "weights.bin");
    Map<String, byte[]> entries = Map.of("model.onnx", external.model().toByteArray());

    assertThatThrownBy(() -> inspector.inspect(write(Archives.zip(entries)), "m.zip", null, null))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("is missing from the archive");
  }

  @Test
  void bare_onnx_file_with_external_data_asks_for_an_archive() throws IOException {
    OnnxModels.ExternalModel external =
        OnnxModels.withExternalData(OnnxModels.mlp(2, 16, 8, 4), "weights.bin");

    assertThatThrownBy(
            () -> inspector.inspect(write(external.model().toByteArray()), "m.onnx", null, null))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("upload a .zip or .tar.gz");
  }

  @Test
  void saved_model_archive_has_its_serving_signature() throws IOException {
    byte[] archive =
        Archives.tarGz(SavedModels.entries("classifier", SavedModels.classifier(3, 64, 10)));

    ArtifactInspection inspection = inspector.inspect(write(archive), "c.tar.gz", null, null);

    assertThat(inspection.format()).isEqualTo(ModelFormat.SAVED_MODEL);
    assertThat(inspection.signature())
        .isEqualTo(
            new ModelSignature(
                List.of(new TensorSpec("x", Datatype.FP32, List.of(-1L, 64L))),
                List.of(new TensorSpec("probabilities", Datatype.FP32, List.of(-1L, 10L)))));
    assertThat(inspection.parameterCount()).isEqualTo(650L);
    FormatDetails.SavedModel details = (FormatDetails.SavedModel) inspection.details();
    assertThat(details.defaultSignature()).isEqualTo("serving_default");
    assertThat(details.tensorflowVersion()).isEqualTo("2.18.0");
    assertThat(details.modelDir()).isEqualTo("classifier");
  }

  @Test
  void saved_model_without_a_serve_tag_is_rejected() throws IOException {
    var model = SavedModels.classifier(3, 4, 2);
    var untagged =
        model.toBuilder()
            .setMetaGraphs(
                0,
                model.getMetaGraphs(0).toBuilder()
                    .setMetaInfoDef(
                        model.getMetaGraphs(0).getMetaInfoDef().toBuilder()
                            .clearTags()
                            .addTags("train")))
            .build();
    byte[] archive = Archives.zip(SavedModels.entries("m", untagged));

    assertThatThrownBy(() -> inspector.inspect(write(archive), "m.zip", null, null))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("no MetaGraphDef tagged 'serve'");
  }

  @Test
  void torchscript_takes_the_declared_signature() throws IOException {
    ArtifactInspection inspection =
        inspector.inspect(write(Fixtures.bytes("digits_mlp.pt")), "digits_mlp.pt", null, DIGITS);

    assertThat(inspection.format()).isEqualTo(ModelFormat.TORCHSCRIPT);
    assertThat(inspection.signature()).isEqualTo(DIGITS);
    FormatDetails.TorchScript details = (FormatDetails.TorchScript) inspection.details();
    assertThat(details.archiveName()).isEqualTo("digits_mlp");
    // float32 weights: 50,826 parameters · 4 bytes
    assertThat(details.tensorDataBytes()).isEqualTo(203_304L);
  }

  @Test
  void torchscript_without_a_signature_is_rejected() throws IOException {
    assertThatThrownBy(
            () -> inspector.inspect(write(Fixtures.bytes("digits_mlp.pt")), "m.pt", null, null))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("carry no input/output signature");
  }

  @Test
  void torch_save_checkpoint_is_not_torchscript() throws IOException {
    assertThatThrownBy(
            () ->
                inspector.inspect(
                    write(Fixtures.bytes("digits_mlp_state.pt")), "state.pt", null, DIGITS))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("checkpoint written by torch.save");
  }

  @Test
  void declared_signature_is_refused_for_formats_that_carry_their_own() throws IOException {
    assertThatThrownBy(
            () ->
                inspector.inspect(write(Fixtures.bytes("digits_mlp.onnx")), "m.onnx", null, DIGITS))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("carries its own signature");
  }

  @Test
  void declared_format_must_match_the_content() throws IOException {
    assertThatThrownBy(
            () ->
                inspector.inspect(
                    write(Fixtures.bytes("digits_mlp.pt")), "m.pt", ModelFormat.ONNX, DIGITS))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("declared as onnx but the artifact is torchscript");
  }

  @Test
  void declared_signature_with_a_datatype_requests_cannot_carry_is_rejected() throws IOException {
    ModelSignature bad =
        new ModelSignature(
            List.of(new TensorSpec("input", Datatype.COMPLEX64, List.of(-1L, 64L))),
            DIGITS.outputs());

    assertThatThrownBy(
            () -> inspector.inspect(write(Fixtures.bytes("digits_mlp.pt")), "m.pt", null, bad))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("needs a datatype of the Open Inference Protocol");
  }

  @Test
  void keras_file_is_named_as_unsupported() throws IOException {
    assertThatThrownBy(() -> inspector.inspect(write(new byte[] {1, 2, 3}), "m.h5", null, null))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("Keras HDF5");
  }

  @Test
  void archive_holding_no_model_lists_what_it_holds() throws IOException {
    byte[] archive = Archives.zip(Map.of("readme.txt", "hi".getBytes()));

    assertThatThrownBy(() -> inspector.inspect(write(archive), "m.zip", null, null))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("readme.txt");
  }

  @Test
  void zip_slip_inside_a_model_archive_is_rejected() throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("../escape.onnx", Fixtures.bytes("digits_mlp.onnx"));

    assertThatThrownBy(() -> inspector.inspect(write(Archives.zip(entries)), "m.zip", null, null))
        .isInstanceOf(ArchiveRejectedException.class);
    assertThat(temp.resolve("escape.onnx")).doesNotExist();
  }

  private Path write(byte[] bytes) throws IOException {
    Path file = Files.createTempFile(temp, "artifact", ".bin");
    Files.write(file, bytes);
    return file;
  }
}
