package dev.modelhub.format.internal;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelhub.format.ArtifactInspection;
import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.InvalidArtifactException;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.springframework.stereotype.Component;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Inspects a TensorFlow SavedModel folder: reads the MetaGraphDef tagged {@code serve} from
 * saved_model.pb and records every signature's inputs and outputs.
 */
@Component
public class SavedModelInspector {

  static final String SERVE_TAG = "serve";
  static final String DEFAULT_SIGNATURE = "serving_default";

  private static final Set<String> VARIABLE_OPS = Set.of("VarHandleOp", "VariableV2", "Variable");
  private static final Set<DataType> FLOAT_TYPES =
      Set.of(DataType.DT_FLOAT, DataType.DT_HALF, DataType.DT_DOUBLE, DataType.DT_BFLOAT16);

  /** Inspects the SavedModel whose saved_model.pb is {@code savedModelPb}. */
  public ArtifactInspection inspect(Path savedModelPb, Path archiveRoot) {
    SavedModel savedModel = parse(savedModelPb);
    MetaGraphDef meta =
        savedModel.getMetaGraphsList().stream()
            .filter(m -> m.getMetaInfoDef().getTagsList().contains(SERVE_TAG))
            .findFirst()
            .orElseThrow(
                () ->
                    new InvalidArtifactException(
                        "saved_model.pb has no MetaGraphDef tagged 'serve' (tags present: "
                            + savedModel.getMetaGraphsList().stream()
                                .map(m -> m.getMetaInfoDef().getTagsList())
                                .toList()
                            + "); export it with tf.saved_model.save or tag it 'serve'."));
    for (MetaGraphDef graph : savedModel.getMetaGraphsList()) {
      SavedModelGuard.check(graph);
    }
    Map<String, ModelSignature> signatures = new TreeMap<>();
    meta.getSignatureDefMap()
        .forEach(
            (name, def) -> {
              if (!name.startsWith("__")) {
                signatures.put(name, signature(def));
              }
            });
    if (signatures.isEmpty()) {
      throw new InvalidArtifactException(
          "The SavedModel has no serving signature; export it with a signature such as"
              + " 'serving_default'.");
    }
    String defaultName =
        signatures.containsKey(DEFAULT_SIGNATURE)
            ? DEFAULT_SIGNATURE
            : signatures.keySet().iterator().next();
    Path modelDir = savedModelPb.getParent();
    FormatDetails.SavedModel details =
        new FormatDetails.SavedModel(
            List.copyOf(meta.getMetaInfoDef().getTagsList()),
            meta.getMetaInfoDef().getTensorflowVersion(),
            defaultName,
            signatures,
            Files.isRegularFile(modelDir.resolve("variables/variables.index")),
            archiveRoot.relativize(modelDir).toString());
    return new ArtifactInspection(
        ModelFormat.SAVED_MODEL,
        signatures.get(defaultName),
        parameterCount(meta),
        details,
        TfServingWarmup.read(modelDir, defaultName).orElse(null));
  }

  /** Parses saved_model.pb and refuses it if it would touch files, the network or processes. */
  public void checkBeforeLoading(Path savedModelPb) {
    for (MetaGraphDef graph : parse(savedModelPb).getMetaGraphsList()) {
      SavedModelGuard.check(graph);
    }
  }

  private static SavedModel parse(Path file) {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      coded.setRecursionLimit(1000);
      SavedModel model = SavedModel.parseFrom(coded);
      if (model.getMetaGraphsCount() == 0) {
        throw new InvalidArtifactException("saved_model.pb holds no MetaGraphDef.");
      }
      return model;
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidArtifactException(
          "saved_model.pb is truncated or corrupt (" + e.getMessage() + ").", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static ModelSignature signature(SignatureDef def) {
    return new ModelSignature(specs(def.getInputsMap()), specs(def.getOutputsMap()));
  }

  private static List<TensorSpec> specs(Map<String, TensorInfo> tensors) {
    List<TensorSpec> specs = new ArrayList<>();
    new TreeMap<>(tensors)
        .forEach(
            (key, info) ->
                specs.add(
                    new TensorSpec(
                        key,
                        Datatypes.fromTensorFlow(info.getDtype()),
                        shape(info.getTensorShape()))));
    return specs;
  }

  private static List<Long> shape(TensorShapeProto shape) {
    if (shape.getUnknownRank()) {
      return null;
    }
    return shape.getDimList().stream().map(d -> d.getSize() < 0 ? -1L : d.getSize()).toList();
  }

  /**
   * Counts variables' elements; for a frozen graph without variables, the elements of its
   * floating-point constants. Functions in the library are not walked.
   */
  private static Long parameterCount(MetaGraphDef meta) {
    long variables = 0;
    long constants = 0;
    boolean sawVariable = false;
    Set<String> seen = new HashSet<>();
    for (NodeDef node : meta.getGraphDef().getNodeList()) {
      if (VARIABLE_OPS.contains(node.getOp())) {
        AttrValue sharedName = node.getAttrOrDefault("shared_name", null);
        String key = sharedName != null ? sharedName.getS().toStringUtf8() : node.getName();
        if (seen.add(key.isEmpty() ? node.getName() : key)) {
          sawVariable = true;
          variables += elements(node.getAttrOrDefault("shape", null));
        }
      } else if (node.getOp().equals("Const")) {
        AttrValue value = node.getAttrOrDefault("value", null);
        if (value != null && FLOAT_TYPES.contains(value.getTensor().getDtype())) {
          constants += elements(value.getTensor().getTensorShape());
        }
      }
    }
    return sawVariable ? variables : constants;
  }

  private static long elements(AttrValue shapeAttr) {
    return shapeAttr == null ? 0 : elements(shapeAttr.getShape());
  }

  private static long elements(TensorShapeProto shape) {
    long n = 1;
    for (TensorShapeProto.Dim dim : shape.getDimList()) {
      if (dim.getSize() < 0) {
        return 0;
      }
      n *= dim.getSize();
    }
    return n;
  }
}
