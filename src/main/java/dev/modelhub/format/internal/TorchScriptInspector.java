package dev.modelhub.format.internal;

import dev.modelhub.artifact.ArchiveEntry;
import dev.modelhub.format.ArtifactInspection;
import dev.modelhub.format.FormatDetails;
import dev.modelhub.format.InvalidArtifactException;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Checks the layout of the zip archive {@code torch.jit.save} writes: one top-level folder holding
 * {@code data.pkl}, {@code code/} (the TorchScript source) and {@code data/} (tensor storages).
 * TorchScript records no input or output names or types, so the signature must be declared.
 */
@Component
public class TorchScriptInspector {

  /** The top-level folder of a zip laid out as PyTorch writes it, if it is one. */
  public static Optional<String> pytorchArchiveRoot(List<ArchiveEntry> entries) {
    for (ArchiveEntry entry : entries) {
      String name = entry.name();
      int slash = name.indexOf('/');
      if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
        return Optional.of(name.substring(0, slash));
      }
    }
    return Optional.empty();
  }

  public ArtifactInspection inspect(
      List<ArchiveEntry> entries, String root, ModelSignature declaredSignature) {
    String prefix = root + "/";
    long codeFiles = entries.stream().filter(e -> e.name().startsWith(prefix + "code/")).count();
    if (codeFiles == 0) {
      throw new InvalidArtifactException(
          "This is a PyTorch checkpoint written by torch.save, not a TorchScript module: export"
              + " the model with torch.jit.script or torch.jit.trace and save it with"
              + " torch.jit.save.");
    }
    entries.stream()
        .filter(e -> !e.name().startsWith(prefix))
        .findFirst()
        .ifPresent(
            e -> {
              throw new InvalidArtifactException(
                  "Entry '" + e.name() + "' lies outside the archive's folder '" + root + "'.");
            });
    if (declaredSignature == null) {
      throw new InvalidArtifactException(
          "TorchScript models carry no input/output signature: send it in the 'metadata' part,"
              + " e.g. {\"signature\": {\"inputs\": [{\"name\": \"input\", \"datatype\":"
              + " \"FP32\", \"shape\": [-1, 64]}], \"outputs\": [...]}}.");
    }
    long tensorBytes =
        entries.stream()
            .filter(e -> e.name().startsWith(prefix + "data/") && !e.directory())
            .mapToLong(ArchiveEntry::size)
            .sum();
    FormatDetails.TorchScript details =
        new FormatDetails.TorchScript(
            root,
            codeFiles,
            tensorBytes,
            entries.stream().anyMatch(e -> e.name().equals(prefix + "constants.pkl")));
    return new ArtifactInspection(ModelFormat.TORCHSCRIPT, declaredSignature, null, details);
  }
}
