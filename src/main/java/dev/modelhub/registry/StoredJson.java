package dev.modelhub.registry;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The registry's JSON columns (format details, lineage, report) are kept as JSON text and read into
 * their types here, with one mapper: rows written by earlier releases with fields since dropped
 * still read.
 */
final class StoredJson {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private StoredJson() {}

  static String write(Object value) {
    return value == null ? null : JSON.writeValueAsString(value);
  }

  static JsonNode tree(String text) {
    return text == null ? null : JSON.readTree(text);
  }

  static <T> T read(String text, Class<T> type) {
    return text == null ? null : JSON.readValue(text, type);
  }
}
