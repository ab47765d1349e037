package dev.modelhub.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A pipeline that cannot produce what the model takes is refused, naming the step. */
class PipelineCheckTest {

  private static final ModelSignature CNN =
      new ModelSignature(
          List.of(new TensorSpec("input", Datatype.FP32, List.of(-1L, 1L, 8L, 8L))),
          List.of(new TensorSpec("logits", Datatype.FP32, List.of(-1L, 10L))));

  private static final ModelSignature MLP =
      new ModelSignature(
          List.of(new TensorSpec("input", Datatype.FP32, List.of(-1L, 64L))),
          List.of(new TensorSpec("logits", Datatype.FP32, List.of(-1L, 10L))));

  private static Pipeline.Decode gray() {
    return new Pipeline.Decode(Pipeline.Color.grayscale, null);
  }

  private static Pipeline.Resize resize(int w, int h) {
    return new Pipeline.Resize(w, h, null, null);
  }

  private static String problem(List<Pipeline.Step> pre, ModelSignature signature) {
    return PipelineCheck.problem(new Pipeline(null, null, pre, null, null), signature, 1 << 24);
  }

  @Test
  void the_digits_pipelines_fit_the_cnn_and_the_mlp() {
    assertThat(problem(List.of(gray(), resize(8, 8), new Pipeline.Scale(null, null)), CNN))
        .isNull();
    assertThat(
            problem(
                List.of(
                    gray(),
                    resize(8, 8),
                    new Pipeline.Scale(null, null),
                    new Pipeline.Layout(Pipeline.TensorLayout.flat)),
                MLP))
        .isNull();
  }

  @Test
  void each_misfit_names_its_step() {
    assertThat(problem(List.of(gray(), resize(16, 8)), CNN))
        .startsWith("preprocess[1] (resize) leaves width at 16, and input 'input' needs 8");
    assertThat(problem(List.of(new Pipeline.Decode(Pipeline.Color.rgb, null), resize(8, 8)), CNN))
        .startsWith("preprocess[0] (decode) leaves channels at 3");
    assertThat(problem(List.of(gray()), CNN))
        .contains("leaves height varying with the image")
        .contains("add an exact resize or a centerCrop");
    assertThat(problem(List.of(gray(), resize(8, 8)), MLP))
        .startsWith(
            "preprocess (NCHW when no layout step says otherwise) makes a tensor of rank 4");
    assertThat(problem(List.of(resize(8, 8), gray()), CNN))
        .startsWith("preprocess[0] (resize) comes first");
    assertThat(problem(List.of(gray(), new Pipeline.Scale(null, null), resize(8, 8)), CNN))
        .startsWith("preprocess[2] (resize) comes after a step it must precede");
    assertThat(problem(List.of(gray(), resize(8, 8), new Pipeline.Cast(Datatype.FP16)), CNN))
        .startsWith("preprocess[2] (datatype) makes FP16, and input 'input' takes FP32");
    assertThat(
            problem(
                List.of(
                    gray(), resize(8, 8), new Pipeline.Normalize(List.of(0.5, 0.5), List.of(1.0))),
                CNN))
        .startsWith("preprocess[2] (normalize) has 2 means and 1 stds for 1 channel(s)");
  }

  @Test
  void pipelines_that_would_fail_every_request_are_refused() {
    assertThat(problem(List.of(gray(), resize(100, 100), new Pipeline.CenterCrop(224, 224)), CNN))
        .startsWith("preprocess[2] (centerCrop) cuts 224×224 out of the 100×100");
    assertThat(
            problem(
                List.of(
                    gray(),
                    new Pipeline.Resize(null, null, 6, null),
                    new Pipeline.CenterCrop(8, 8)),
                CNN))
        .startsWith("preprocess[2] (centerCrop) cuts 8×8 out of images whose shorter side");
    assertThat(
            PipelineCheck.problem(
                new Pipeline(null, null, List.of(gray(), resize(16384, 16384)), null, null),
                CNN,
                1 << 24))
        .startsWith("preprocess[1] (resize) makes 16384×16384 images, more pixels than");
    assertThat(
            problem(
                List.of(
                    gray(),
                    resize(8, 8),
                    new Pipeline.Normalize(List.of(Double.NaN), List.of(1.0))),
                CNN))
        .contains("mean that is not a finite number");
    Pipeline infinite =
        new Pipeline(
            null, null, null, List.of(new Pipeline.Threshold(Double.POSITIVE_INFINITY)), null);
    assertThat(PipelineCheck.problem(infinite, CNN, 1)).contains("needs a finite min");
  }

  @Test
  void labels_must_match_the_classes_and_post_steps_their_order() {
    Pipeline nine =
        new Pipeline(null, null, null, null, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8"));
    assertThat(PipelineCheck.problem(nine, CNN, 1))
        .startsWith("labels has 9 names, and output 'logits' has 10 classes");
    Pipeline order =
        new Pipeline(null, null, null, List.of(new Pipeline.TopK(3), new Pipeline.Softmax()), null);
    assertThat(PipelineCheck.problem(order, CNN, 1))
        .startsWith("postprocess[1] (softmax) comes after a step it must precede");
    Pipeline unknown = new Pipeline("pixels", null, List.of(gray()), null, null);
    assertThat(PipelineCheck.problem(unknown, CNN, 1))
        .startsWith("input 'pixels' is not an input of the model; its inputs are [input]");
  }
}
