package dev.modelhub.registry;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits on version uploads ({@code modelhub.upload.*}).
 *
 * @param maxSize largest artifact accepted; larger uploads are refused with 413
 * @param maxMetadataSize largest {@code metadata} part accepted in a multipart upload
 */
@ConfigurationProperties("modelhub.upload")
public record UploadProperties(
    @DefaultValue("20GB") DataSize maxSize, @DefaultValue("1MB") DataSize maxMetadataSize) {}
