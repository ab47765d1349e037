package dev.modelhub.format;

import dev.modelhub.artifact.ArchiveEntry;
import dev.modelhub.artifact.ArchiveType;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.artifact.UnpackedArchive;
import dev.modelhub.format.internal.OnnxInspector;
import dev.modelhub.format.internal.SavedModelInspector;
import dev.modelhub.format.internal.TorchScriptInspector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.stereotype.Service;

/**
 * Recognizes an artifact's format from its content, checks it is a complete model and describes it.
 * Archives are opened only through the {@link SafeUnpacker}.
 */
@Service
public class ModelInspector {

  private static final Map<String, String> UNSUPPORTED =
      Map.of(
          ".h5", "Keras HDF5",
          ".keras", "Keras v3",
          ".pkl", "Python pickle",
          ".pickle", "Python pickle",
          ".safetensors", "safetensors weights",
          ".gguf", "GGUF",
          ".tflite", "TensorFlow Lite",
          ".pb", "a bare TensorFlow GraphDef");

  private static final String SUPPORTED =
      "ONNX (.onnx, or .zip/.tar.gz with external data), TensorFlow SavedModel (.zip/.tar.gz"
          + " holding saved_model.pb) or TorchScript (.pt written by torch.jit.save)";

  private final SafeUnpacker unpacker;
  private final OnnxInspector onnx;
  private final SavedModelInspector savedModel;
  private final TorchScriptInspector torchScript;
  private final FormatProperties formats;

  public ModelInspector(
      SafeUnpacker unpacker,
      OnnxInspector onnx,
      SavedModelInspector savedModel,
      TorchScriptInspector torchScript,
      FormatProperties formats) {
    this.unpacker = unpacker;
    this.onnx = onnx;
    this.savedModel = savedModel;
    this.torchScript = torchScript;
    this.formats = formats;
  }

  /**
   * Inspects the artifact in {@code file}.
   *
   * @param filename the name the client gave the file (used only for clearer errors)
   * @param declaredFormat the format the client says it is, or null to detect it
   * @param declaredSignature the signature the client supplied, or null; required for TorchScript,
   *     refused for formats that carry their own
   * @throws InvalidArtifactException the artifact is not a complete model of a supported format
   */
  public ArtifactInspection inspect(
      Path file, String filename, ModelFormat declaredFormat, ModelSignature declaredSignature) {
    if (declaredSignature != null) {
      checkDeclared(declaredSignature);
    }
    ArtifactInspection inspection =
        detectAndInspect(file, filename, declaredFormat, declaredSignature);
    if (!formats.accepts(inspection.format())) {
      throw formats.disabled(inspection.format());
    }
    checkSizes(inspection.signature().inputs(), "input");
    checkSizes(inspection.signature().outputs(), "output");
    if (declaredFormat != null && declaredFormat != inspection.format()) {
      throw new InvalidArtifactException(
          "The format was declared as "
              + declaredFormat.id()
              + " but the artifact is "
              + inspection.format().id()
              + ".");
    }
    if (declaredSignature != null && inspection.format() != ModelFormat.TORCHSCRIPT) {
      throw new InvalidArtifactException(
          "A "
              + inspection.format().id()
              + " model carries its own signature; remove 'signature' from the metadata.");
    }
    return inspection;
  }

  private ArtifactInspection detectAndInspect(
      Path file, String filename, ModelFormat declared, ModelSignature declaredSignature) {
    Optional<ArchiveType> archive = archiveType(file);
    if (archive.isEmpty()) {
      return inspectBareFile(file, filename, declared);
    }
    if (archive.get() == ArchiveType.ZIP) {
      List<ArchiveEntry> entries = unpacker.listZip(file);
      Optional<String> root = TorchScriptInspector.pytorchArchiveRoot(entries);
      if (root.isPresent()) {
        return torchScript.inspect(entries, root.get(), declaredSignature);
      }
    }
    if (declared == ModelFormat.TORCHSCRIPT) {
      throw new InvalidArtifactException(
          "The artifact is an archive but not one torch.jit.save writes (no <name>/data.pkl).");
    }
    try (UnpackedArchive unpacked = unpacker.unpackToTemp(file)) {
      return inspectArchive(unpacked);
    }
  }

  private ArtifactInspection inspectBareFile(Path file, String filename, ModelFormat declared) {
    if (declared == ModelFormat.SAVED_MODEL) {
      throw new InvalidArtifactException(
          "A SavedModel is a folder: upload it as a .zip or .tar.gz holding saved_model.pb and"
              + " variables/.");
    }
    if (declared == ModelFormat.TORCHSCRIPT) {
      throw new InvalidArtifactException(
          "A TorchScript model is the zip archive torch.jit.save writes; this file is not a zip"
              + " archive.");
    }
    String lower = filename == null ? "" : filename.toLowerCase(Locale.ROOT);
    for (Map.Entry<String, String> unsupported : UNSUPPORTED.entrySet()) {
      if (lower.endsWith(unsupported.getKey())) {
        throw new InvalidArtifactException(
            "'"
                + filename
                + "' looks like "
                + unsupported.getValue()
                + ", which Modelhub does not"
                + " register; upload "
                + SUPPORTED
                + ".");
      }
    }
    try {
      return onnx.inspect(file, null);
    } catch (InvalidArtifactException e) {
      if (declared == ModelFormat.ONNX || lower.endsWith(".onnx")) {
        throw e;
      }
      throw new InvalidArtifactException(
          "Unrecognized artifact: it is not a zip or tar archive, and "
              + lowerFirst(e.getMessage())
              + " Upload "
              + SUPPORTED
              + ".",
          e);
    }
  }

  private ArtifactInspection inspectArchive(UnpackedArchive unpacked) {
    List<String> savedModels =
        unpacked.files().stream().filter(f -> fileName(f).equals("saved_model.pb")).toList();
    List<String> onnxFiles =
        unpacked.files().stream()
            .filter(f -> fileName(f).toLowerCase(Locale.ROOT).endsWith(".onnx"))
            .toList();
    if (savedModels.size() > 1) {
      throw new InvalidArtifactException(
          "The archive holds several saved_model.pb files "
              + savedModels
              + "; upload one model"
              + " per version.");
    }
    if (savedModels.size() == 1) {
      return savedModel.inspect(unpacked.root().resolve(savedModels.get(0)), unpacked.root());
    }
    if (onnxFiles.size() > 1) {
      throw new InvalidArtifactException(
          "The archive holds several .onnx files " + onnxFiles + "; upload one model per version.");
    }
    if (onnxFiles.size() == 1) {
      return onnx.inspect(unpacked.root().resolve(onnxFiles.get(0)), unpacked.root());
    }
    if (unpacked.files().stream().anyMatch(f -> fileName(f).equals("saved_model.pbtxt"))) {
      throw new InvalidArtifactException(
          "The SavedModel is in text form (saved_model.pbtxt); export it in binary form"
              + " (saved_model.pb).");
    }
    List<String> shown = unpacked.files().stream().limit(10).toList();
    throw new InvalidArtifactException(
        "The archive holds no saved_model.pb, no .onnx file and no TorchScript model (files: "
            + shown
            + (unpacked.files().size() > shown.size() ? " …" : "")
            + "); upload "
            + SUPPORTED
            + ".");
  }

  /**
   * Checks, right before an engine opens it, that the ONNX model in {@code model} keeps every
   * tensor's bytes inside {@code archiveRoot} (null: a bare file, which may keep none outside).
   * Registration checked this already; loading checks again, independently, because the engine
   * follows whatever paths the file holds.
   *
   * @throws InvalidArtifactException a reference leaves the folder, or the file is not ONNX
   */
  public void checkOnnxBeforeLoading(Path model, Path archiveRoot) {
    checkEnabled(ModelFormat.ONNX);
    onnx.checkBeforeLoading(model, archiveRoot);
  }

  /**
   * Checks, right before TensorFlow loads it, that the SavedModel in {@code modelDir} runs no
   * operation that touches files, the network or other processes.
   */
  public void checkSavedModelBeforeLoading(Path modelDir) {
    checkEnabled(ModelFormat.SAVED_MODEL);
    savedModel.checkBeforeLoading(modelDir.resolve("saved_model.pb"));
  }

  /** Refuses to load a format the operator turned off. */
  public void checkEnabled(ModelFormat format) {
    if (!formats.accepts(format)) {
      throw formats.disabled(format);
    }
  }

  /** Most dimensions a tensor of a signature may have. */
  static final int MAX_RANK = 32;

  /** Largest dimension a signature may declare. */
  static final long MAX_DIMENSION = Integer.MAX_VALUE;

  /** Most elements a tensor of fully known shape may have (64 Gi elements). */
  static final long MAX_ELEMENTS = 1L << 36;

  /**
   * Caps what a signature may declare, so that nothing sized from it (warm-up inputs, buffers) can
   * be made absurd by the model file.
   */
  private static void checkSizes(List<TensorSpec> tensors, String kind) {
    for (TensorSpec tensor : tensors) {
      if (tensor.shape() == null) {
        continue;
      }
      String where = "The " + kind + " '" + tensor.name() + "'";
      if (tensor.shape().size() > MAX_RANK) {
        throw new InvalidArtifactException(where + " has more than " + MAX_RANK + " dimensions.");
      }
      long elements = 1;
      for (Long dim : tensor.shape()) {
        if (dim != null && dim > MAX_DIMENSION) {
          throw new InvalidArtifactException(where + " declares a dimension of " + dim + ".");
        }
        long known = dim == null || dim < 1 ? 1 : dim;
        elements = elements > MAX_ELEMENTS / known ? MAX_ELEMENTS + 1 : elements * known;
      }
      if (elements > MAX_ELEMENTS) {
        throw new InvalidArtifactException(
            where + " declares more than " + MAX_ELEMENTS + " elements.");
      }
    }
  }

  /** Checks a client-declared signature: names, datatypes and shapes a server can use. */
  private static void checkDeclared(ModelSignature signature) {
    // No inputs is fine (a table, a generator answers its outputs); no outputs is not.
    if (signature.outputs().isEmpty()) {
      throw new InvalidArtifactException("The declared signature needs at least one output.");
    }
    checkTensors("input", signature.inputs());
    checkTensors("output", signature.outputs());
  }

  private static void checkTensors(String kind, List<TensorSpec> tensors) {
    Set<String> names = new HashSet<>();
    for (TensorSpec tensor : tensors) {
      if (tensor == null || tensor.name() == null || tensor.name().isBlank()) {
        throw new InvalidArtifactException("Every declared " + kind + " needs a name.");
      }
      String where = "Declared " + kind + " '" + tensor.name() + "'";
      if (!names.add(tensor.name())) {
        throw new InvalidArtifactException(where + " appears twice.");
      }
      if (tensor.datatype() == null || !tensor.datatype().openInference()) {
        throw new InvalidArtifactException(
            where
                + " needs a datatype of the Open Inference Protocol: one of "
                + Datatype.openInferenceTypes()
                + ".");
      }
      if (tensor.shape() == null) {
        throw new InvalidArtifactException(
            where + " needs a shape (use -1 for unknown dimensions).");
      }
      for (Long dim : tensor.shape()) {
        if (dim == null || dim < -1) {
          throw new InvalidArtifactException(
              where + " has dimension " + dim + "; dimensions are sizes ≥ 0, or -1 for unknown.");
        }
      }
    }
  }

  private static Optional<ArchiveType> archiveType(Path file) {
    try {
      return ArchiveType.detect(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static String fileName(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }

  private static String lowerFirst(String message) {
    return message.isEmpty()
        ? message
        : Character.toLowerCase(message.charAt(0)) + message.substring(1);
  }
}
