package dev.modelhub.web;

import dev.modelhub.registry.VersionView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * Versions as a tree: variants under their parents, each labelled with the pass that made it and
 * its parameters. A variant whose parent is not among the versions shown is a root that says where
 * it came from.
 *
 * @param version the version
 * @param label how it was made ("quantize-int8-dynamic perChannel=true"), or null for an upload
 * @param parentElsewhere its parent's number when that parent is not in the tree
 * @param children its variants
 */
record Lineage(VersionView version, String label, Integer parentElsewhere, List<Lineage> children) {

  static List<Lineage> of(List<VersionView> versions) {
    Set<Integer> present = versions.stream().map(VersionView::version).collect(Collectors.toSet());
    Map<Integer, List<VersionView>> byParent =
        versions.stream()
            .filter(v -> v.parentVersion() != null && present.contains(v.parentVersion()))
            .collect(Collectors.groupingBy(VersionView::parentVersion));
    return versions.stream()
        .filter(v -> v.parentVersion() == null || !present.contains(v.parentVersion()))
        .sorted(Comparator.comparingInt(VersionView::version))
        .map(v -> node(v, v.parentVersion(), byParent))
        .toList();
  }

  private static Lineage node(
      VersionView version, Integer parentElsewhere, Map<Integer, List<VersionView>> byParent) {
    List<Lineage> children = new ArrayList<>();
    for (VersionView child :
        byParent.getOrDefault(version.version(), List.of()).stream()
            .sorted(Comparator.comparingInt(VersionView::version))
            .toList()) {
      children.add(node(child, null, byParent));
    }
    return new Lineage(version, label(version.lineage()), parentElsewhere, children);
  }

  /** The pass and its parameters that differ from nothing ("prune-magnitude sparsity=0.5"). */
  static String label(JsonNode lineage) {
    if (lineage == null || lineage.isNull() || !lineage.has("pass")) {
      return null;
    }
    StringBuilder text = new StringBuilder(lineage.get("pass").asString());
    JsonNode params = lineage.get("params");
    if (params != null && params.isObject()) {
      for (var field : params.properties()) {
        JsonNode value = field.getValue();
        if (value.isNull() || (value.isArray() && value.isEmpty())) {
          continue;
        }
        text.append(' ')
            .append(field.getKey())
            .append('=')
            .append(value.isString() ? value.asString() : value.toString());
      }
    }
    return text.toString();
  }
}
