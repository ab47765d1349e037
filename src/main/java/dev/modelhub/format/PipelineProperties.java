package dev.modelhub.format;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Bounds on the pre-processing pipelines versions carry ({@code modelhub.pipeline.*}).
 *
 * @param maxImagePixels most pixels (width × height) an image sent through a pipeline may have,
 *     checked from its header before it is decoded; a decode step may lower it, never raise it. A
 *     request holds one decoded image at a time: about 4 bytes per pixel and channel as floats,
 *     besides the decoder's own copy
 */
@Validated
@ConfigurationProperties("modelhub.pipeline")
public record PipelineProperties(
    @DefaultValue("8388608") @Min(1) @Max(268_435_456L) long maxImagePixels) {}
