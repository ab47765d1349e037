package dev.modelhub.artifact;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits every archive is unpacked under ({@code modelhub.archive.*}); an archive that exceeds one
 * is rejected, which is what stops zip bombs.
 *
 * @param maxUnpackedSize most bytes all entries of one archive may unpack to, counted as they are
 *     written (sizes declared in headers are not trusted)
 * @param maxEntries most entries (files and folders) one archive may hold
 */
@ConfigurationProperties("modelhub.archive")
public record ArchiveProperties(
    @DefaultValue("64GB") DataSize maxUnpackedSize, @DefaultValue("100000") int maxEntries) {}
