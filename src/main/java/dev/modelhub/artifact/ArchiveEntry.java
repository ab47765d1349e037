package dev.modelhub.artifact;

/**
 * One checked entry of an archive that was listed but not unpacked.
 *
 * @param name the entry's path inside the archive, with '/' separators
 * @param directory whether it is a folder
 * @param size the size the archive declares (not trusted for limits)
 */
public record ArchiveEntry(String name, boolean directory, long size) {}
