package dev.modelhub.registry;

import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Server settings that matter for multi-gigabyte uploads. */
@Configuration(proxyBeanMethods = false)
class UploadServerConfiguration {

  static {
    // Inspection's findings differ by format (told apart by the version's `format`).
    org.springdoc.core.utils.SpringDocUtils.getConfig()
        .replaceWithSchema(
            dev.modelhub.format.FormatDetails.class,
            new io.swagger.v3.oas.models.media.ObjectSchema()
                .description(
                    "What inspection found, by format: opset and producer (ONNX), tags and"
                        + " operations (SavedModel), the model file inside an archive"));
  }

  /**
   * Sends "100 Continue" only when the controller starts reading the body, not as soon as the
   * headers arrive. A client that waits for it (curl does, for large bodies) then sends nothing for
   * an upload refused from its headers alone: too large, bad name, wrong media type.
   */
  @Bean
  TomcatConnectorCustomizer continueOnRead() {
    return connector -> connector.setProperty("continueResponseTiming", "onRead");
  }
}
