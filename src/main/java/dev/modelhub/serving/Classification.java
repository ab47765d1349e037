package dev.modelhub.serving;

import java.util.List;

/**
 * What post-processing made of one row of a model's output: its best classes, best first.
 *
 * @param classes the classes kept (after the pipeline's threshold and top-k)
 */
public record Classification(List<Scored> classes) {

  /**
   * One class.
   *
   * @param index its position along the output's last dimension
   * @param label its name from the version's labels, or null when it has none
   * @param score the output's value after the pipeline's softmax or sigmoid (the raw value without)
   */
  public record Scored(int index, String label, double score) {}
}
