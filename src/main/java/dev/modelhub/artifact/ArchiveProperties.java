package dev.modelhub.artifact;

import jakarta.validation.constraints.Min;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Limits every archive is unpacked under ({@code modelhub.archive.*}); an archive that exceeds one
 * is rejected, which is what stops zip bombs.
 *
 * @param maxUnpackedSize most bytes all entries of one archive may unpack to, counted as they are
 *     written (sizes declared in headers are not trusted)
 * @param maxEntries most entries (files and folders) one archive may hold; a zip's declared count
 *     is checked before it is opened
 * @param maxRatio most bytes an archive may unpack to per byte of archive (real models compress
 *     two- to fivefold; a zip bomb a thousandfold); archives under 1 MB may always unpack to 100 MB
 * @param maxHeaderSize largest tar long-name or PAX header, which a tar reader holds in memory
 */
@Validated
@ConfigurationProperties("modelhub.archive")
public record ArchiveProperties(
    @DefaultValue("64GB") DataSize maxUnpackedSize,
    @DefaultValue("100000") @Min(1) int maxEntries,
    @DefaultValue("100") @Min(1) int maxRatio,
    @DefaultValue("1MB") DataSize maxHeaderSize) {

  /** The most bytes an archive of {@code archiveBytes} may unpack to. */
  public long unpackedLimit(long archiveBytes) {
    long byRatio;
    try {
      byRatio = Math.multiplyExact(Math.max(archiveBytes, 1L << 20), (long) maxRatio);
    } catch (ArithmeticException e) {
      byRatio = Long.MAX_VALUE;
    }
    return Math.min(maxUnpackedSize.toBytes(), byRatio);
  }
}
