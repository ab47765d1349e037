package dev.modelhub.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.Pipeline;
import dev.modelhub.serving.Classification;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Post-processing on known logits: exact classes, scores, labels and filtering. */
class PostStepsTest {

  /** Two rows of four logits. */
  private static final Tensor LOGITS =
      new Tensor(
          "logits",
          Datatype.FP32,
          new long[] {2, 4},
          new TensorData.Reals(new double[] {1, 3, 2, 0, -1, -1, 5, -1}));

  private static final List<String> LABELS = List.of("ant", "bee", "cat", "dog");

  @Test
  void softmax_top_k_and_labels() {
    Pipeline pipeline =
        new Pipeline(
            null, null, null, List.of(new Pipeline.Softmax(), new Pipeline.TopK(2)), LABELS);
    List<Classification> rows = PostSteps.classify(pipeline, LOGITS, null, true);
    double sum = Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(0);
    assertThat(rows).hasSize(2);
    List<Classification.Scored> first = rows.get(0).classes();
    assertThat(first).extracting(Classification.Scored::label).containsExactly("bee", "cat");
    assertThat(first.get(0).score()).isCloseTo(Math.exp(3) / sum, within(1e-12));
    assertThat(first.get(1).score()).isCloseTo(Math.exp(2) / sum, within(1e-12));
    assertThat(rows.get(1).classes().get(0).label()).isEqualTo("cat");
    assertThat(rows.get(1).classes().get(0).index()).isEqualTo(2);
  }

  @Test
  void a_threshold_drops_classes_below_it_and_ties_keep_class_order() {
    Pipeline pipeline =
        new Pipeline(
            null, null, null, List.of(new Pipeline.Sigmoid(), new Pipeline.Threshold(0.2)), null);
    List<Classification> rows = PostSteps.classify(pipeline, LOGITS, null, true);
    // sigmoid(1, 3, 2, 0) = .731, .953, .881, .5: all over 0.2; sigmoid(-1) = .269 too.
    assertThat(rows.get(0).classes())
        .extracting(Classification.Scored::index)
        .containsExactly(1, 2, 0, 3);
    assertThat(rows.get(1).classes())
        .extracting(Classification.Scored::index)
        .containsExactly(2, 0, 1, 3);
    Pipeline strict =
        new Pipeline(
            null, null, null, List.of(new Pipeline.Sigmoid(), new Pipeline.Threshold(0.9)), null);
    assertThat(PostSteps.classify(strict, LOGITS, null, true).get(0).classes())
        .extracting(Classification.Scored::index)
        .containsExactly(1);
    // Triton's classification answers k classes whatever the threshold.
    assertThat(PostSteps.classify(strict, LOGITS, 3, false).get(0).classes()).hasSize(3);
  }

  @Test
  void without_a_pipeline_the_raw_scores_rank_the_classes_and_there_are_no_labels() {
    List<Classification> rows = PostSteps.classify(null, LOGITS, 1, false);
    assertThat(rows.get(0).classes()).containsExactly(new Classification.Scored(1, null, 3.0));
  }
}
