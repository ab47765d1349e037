package dev.modelhub.registry;

import dev.modelhub.common.ConflictException;
import dev.modelhub.common.NotFoundException;
import java.util.List;

/** The registry's client errors, each with its own problem type. */
final class RegistryExceptions {

  private RegistryExceptions() {}

  static NotFoundException modelNotFound(String name) {
    return new NotFoundException(
        "model-not-found", "Model not found", "No model is named '" + name + "'.");
  }

  static NotFoundException versionNotFound(String name, int version) {
    return new NotFoundException(
        "version-not-found",
        "Version not found",
        "Model '" + name + "' has no version " + version + ".");
  }

  static NotFoundException aliasNotFound(String name, String alias) {
    return new NotFoundException(
        "alias-not-found", "Alias not found", "Model '" + name + "' has no alias '" + alias + "'.");
  }

  static ConflictException modelExists(String name) {
    return new ConflictException(
        "model-exists", "Model already exists", "A model named '" + name + "' already exists.");
  }

  static ConflictException modelHasAliases(String name, List<String> aliases) {
    return new ConflictException(
        "alias-in-use",
        "Alias still points at the model",
        "Model '"
            + name
            + "' cannot be deleted while aliases "
            + aliases
            + " point at its versions; delete or move them first.");
  }

  static ConflictException versionHasAliases(String name, int version, List<String> aliases) {
    return new ConflictException(
        "alias-in-use",
        "Alias still points at the version",
        "Version "
            + version
            + " of '"
            + name
            + "' cannot be archived while aliases "
            + aliases
            + " point at it; move them first.");
  }

  static ConflictException versionUnservable(String name, int version, String message) {
    return new ConflictException(
        "version-not-servable",
        "Version cannot be served",
        "Version "
            + version
            + " of '"
            + name
            + "' failed its validation load: "
            + message
            + (message != null && message.endsWith(".") ? "" : ".")
            + " Upload a version the engine loads, or move the alias with force=true to point it"
            + " there anyway.");
  }

  static ConflictException versionValidating(String name, int version) {
    return new ConflictException(
        "version-validating",
        "Version is being checked",
        "Version "
            + version
            + " of '"
            + name
            + "' is being loaded by its validation check, which records whether it can be served;"
            + " try again once its \"servable\" is set.");
  }

  static ConflictException versionArchived(String name, int version) {
    return new ConflictException(
        "version-archived",
        "Version archived",
        "Version " + version + " of '" + name + "' is archived; an alias cannot point at it.");
  }
}
