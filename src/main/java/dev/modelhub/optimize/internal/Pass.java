package dev.modelhub.optimize.internal;

import dev.modelhub.onnx.NodeProto;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One compression pass over an ONNX graph: ONNX in, ONNX out, inputs and outputs unchanged. */
public interface Pass {

  /** The name clients ask for. */
  String name();

  /** Checks and completes the parameters; throws a 400 for anything wrong. */
  Map<String, Object> normalize(Map<String, Object> params);

  /**
   * Rewrites {@code graph}. {@code keepFloat} names nodes to leave untouched in addition to the
   * {@code exclude} parameter (the accuracy-aware search uses it). Returns what the pass did.
   */
  Map<String, Object> apply(OnnxGraph graph, Map<String, Object> params, Set<String> keepFloat);

  /** Nodes this pass would change, in graph order (for the accuracy-aware search). */
  default List<String> candidates(OnnxGraph graph, Map<String, Object> params) {
    return List.of();
  }

  /** Whether a more conservative setting exists (per-channel scales, nodes kept in float). */
  default boolean searchable() {
    return false;
  }

  /** The parameters of the next, more conservative attempt, or null when per-channel is set. */
  default Map<String, Object> moreConservative(Map<String, Object> params) {
    return null;
  }

  /** Whether a node is excluded by name or op type. */
  static boolean excluded(NodeProto node, Map<String, Object> params, Set<String> keep) {
    @SuppressWarnings("unchecked")
    List<String> exclude = (List<String>) params.getOrDefault("exclude", List.of());
    return keep.contains(node.getName())
        || exclude.contains(node.getName())
        || exclude.contains(node.getOpType());
  }
}
