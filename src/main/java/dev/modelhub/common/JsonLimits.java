package dev.modelhub.common;

import java.util.List;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one JSON mapper every endpoint reads with, built as Spring Boot builds it but on a factory
 * with tight stream limits: nesting depth, number and name lengths, string and document sizes. A
 * hostile body is refused by the parser (400) long before it can exhaust the stack or the heap.
 */
@Configuration(proxyBeanMethods = false)
class JsonLimits {

  static final int MAX_NESTING = 64;
  static final int MAX_NUMBER_LENGTH = 100;
  static final int MAX_NAME_LENGTH = 1024;
  static final int MAX_STRING_LENGTH = 16 << 20;

  @Bean
  JsonMapper jsonMapper(List<JsonMapperBuilderCustomizer> customizers, Environment environment) {
    // Inference bodies are the largest JSON documents; they have their own, larger limit.
    long inferenceLimit =
        environment
            .getProperty(
                "modelhub.serving.max-request-size", DataSize.class, DataSize.ofMegabytes(32))
            .toBytes();
    StreamReadConstraints constraints =
        StreamReadConstraints.builder()
            .maxNestingDepth(MAX_NESTING)
            .maxNumberLength(MAX_NUMBER_LENGTH)
            .maxNameLength(MAX_NAME_LENGTH)
            .maxStringLength(MAX_STRING_LENGTH)
            .maxDocumentLength(Math.max(inferenceLimit, 16L << 20))
            .build();
    JsonMapper.Builder builder =
        JsonMapper.builder(JsonFactory.builder().streamReadConstraints(constraints).build());
    customizers.forEach(customizer -> customizer.customize(builder));
    return builder.build();
  }
}
