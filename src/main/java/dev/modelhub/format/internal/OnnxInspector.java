package dev.modelhub.format.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelhub.format.ArtifactInspection;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.InvalidArtifactException;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.onnx.TensorShapeProto;
import dev.modelhub.onnx.TypeProto;
import dev.modelhub.onnx.ValueInfoProto;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;

/** Inspects an ONNX model file, and the external data files next to it when it has any. */
@Component
public class OnnxInspector {

  /**
   * Inspects {@code model}.
   *
   * @param archiveRoot the folder the model's archive was unpacked into, or null for a bare .onnx
   *     file; external data must lie inside it
   */
  public ArtifactInspection inspect(Path model, Path archiveRoot) {
    OnnxReader.Summary summary = read(model);
    ExternalDataCheck.check(summary.externalRefs(), model, archiveRoot);
    List<TensorSpec> inputs = new ArrayList<>();
    for (ValueInfoProto input : summary.inputs()) {
      // Graph inputs that are also initializers are weights with defaults, not request inputs.
      if (!summary.initializerNames().contains(input.getName())) {
        inputs.add(spec(input));
      }
    }
    List<TensorSpec> outputs = summary.outputs().stream().map(OnnxInspector::spec).toList();
    FormatDetails.Onnx details =
        new FormatDetails.Onnx(
            summary.irVersion(),
            summary.opsets(),
            (summary.producerName() + " " + summary.producerVersion()).strip(),
            summary.graphName(),
            summary.nodeCount(),
            summary.opTypes(),
            summary.initializerNames().size(),
            !summary.externalRefs().isEmpty(),
            archiveRoot == null ? null : archiveRoot.relativize(model).toString());
    return new ArtifactInspection(
        ModelFormat.ONNX, new ModelSignature(inputs, outputs), summary.parameterCount(), details);
  }

  /**
   * Checks, before an engine opens it, that every tensor of the ONNX model in {@code model} keeps
   * its bytes inside {@code archiveRoot} (null: a bare file, which may keep none outside).
   *
   * @throws InvalidArtifactException a reference leaves the folder, or the model is not ONNX
   */
  public void checkBeforeLoading(Path model, Path archiveRoot) {
    ExternalDataCheck.check(read(model).externalRefs(), model, archiveRoot);
  }

  private static OnnxReader.Summary read(Path model) {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(model), 1 << 16)) {
      return OnnxReader.read(in);
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidArtifactException(
          "Not a valid ONNX model: the protobuf is truncated or corrupt (" + e.getMessage() + ").",
          e);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new InvalidArtifactException("Not a valid ONNX model: " + e.getMessage() + ".", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + model, e);
    }
  }

  private static TensorSpec spec(ValueInfoProto value) {
    TypeProto type = value.getType();
    if (!type.hasTensorType()) {
      Datatype kind =
          switch (type.getValueCase()) {
            case SEQUENCE_TYPE -> Datatype.SEQUENCE;
            case MAP_TYPE -> Datatype.MAP;
            case OPTIONAL_TYPE -> Datatype.OPTIONAL;
            case SPARSE_TENSOR_TYPE -> Datatype.SPARSE_TENSOR;
            default -> Datatype.OTHER;
          };
      return new TensorSpec(value.getName(), kind, null);
    }
    TypeProto.Tensor tensor = type.getTensorType();
    List<Long> shape = null;
    if (tensor.hasShape()) {
      shape = new ArrayList<>();
      for (TensorShapeProto.Dimension dim : tensor.getShape().getDimList()) {
        shape.add(dim.hasDimValue() && dim.getDimValue() >= 0 ? dim.getDimValue() : -1L);
      }
    }
    return new TensorSpec(value.getName(), Datatypes.fromOnnx(tensor.getElemType()), shape);
  }
}
