package dev.modelhub.registry;

import dev.modelhub.format.ModelFormat;

/**
 * A new version was committed.
 *
 * @param model the model's name
 * @param version the new version number
 * @param digest the artifact digest
 * @param format the artifact format
 */
public record VersionRegistered(String model, int version, String digest, ModelFormat format) {}
