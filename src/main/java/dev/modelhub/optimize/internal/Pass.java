package dev.modelhub.optimize.internal;

import dev.modelhub.onnx.NodeProto;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import java.util.List;
import java.util.Set;

/**
 * One compression pass over an ONNX graph: ONNX in, ONNX out, inputs and outputs unchanged. Its
 * parameters are a record of type {@code P}; callers that hold parameters read for the pass by name
 * use the {@code …For} bridges, which check the type.
 */
public interface Pass<P extends PassParameters> extends PassType<P> {

  /**
   * Rewrites {@code graph}. {@code keepFloat} names nodes to leave untouched in addition to the
   * {@code exclude} parameter (the accuracy-aware search uses it). Returns what the pass did.
   */
  PassDetails apply(OnnxGraph graph, P params, Set<String> keepFloat);

  /** Nodes this pass would change, in graph order (for the accuracy-aware search). */
  default List<String> candidates(OnnxGraph graph, P params) {
    return List.of();
  }

  /** The parameters of the next, more conservative attempt, or null when there is none. */
  default P moreConservative(P params) {
    return null;
  }

  /** Whether the accuracy-aware search can back off from a setting of this pass. */
  default boolean searchable() {
    return false;
  }

  /** Whether its gain shows only after compression (the report then gives deflated sizes). */
  default boolean gainShowsCompressed() {
    return false;
  }

  default PassDetails applyFor(OnnxGraph graph, PassParameters params, Set<String> keepFloat) {
    return apply(graph, parametersType().cast(params), keepFloat);
  }

  default List<String> candidatesFor(OnnxGraph graph, PassParameters params) {
    return candidates(graph, parametersType().cast(params));
  }

  default PassParameters moreConservativeFor(PassParameters params) {
    return moreConservative(parametersType().cast(params));
  }

  /** Whether a node is excluded by name or op type, or kept in float by the search. */
  static boolean excluded(NodeProto node, PassParameters params, Set<String> keep) {
    return keep.contains(node.getName())
        || params.exclude().contains(node.getName())
        || params.exclude().contains(node.getOpType());
  }
}
