package dev.modelhub.optimize.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.onnx.TensorProto;
import dev.modelhub.optimize.PassParameters;
import dev.modelhub.optimize.StudentType;
import dev.modelhub.serving.internal.EngineBootstrap;
import dev.modelhub.support.Fixtures;
import dev.modelhub.support.OnnxTestCase.Value;
import dev.modelhub.support.OrtReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distillation student and its training on DJL's PyTorch engine, without the job system: the
 * ONNX export computes what the trained network computes, for every student layout; training from a
 * checkpoint ends exactly where an uninterrupted run ends; and a student distilled from the digits
 * MLP reaches the teacher's accuracy.
 */
class DistillTrainingTest {

  static final TensorSpec FLAT_IN = new TensorSpec("input", Datatype.FP32, List.of(-1L, 64L));
  static final TensorSpec LOGITS = new TensorSpec("logits", Datatype.FP32, List.of(-1L, 10L));

  static float[] inputs;
  static int[] labels;
  static float[] teacher;
  static int rows;

  @BeforeAll
  static void digitsAndTheirTeacherScores() throws Exception {
    EngineBootstrap.prepare(Path.of("target/engines"), 1);
    List<String> lines =
        new String(Fixtures.data("digits-train.csv"), StandardCharsets.UTF_8).lines().toList();
    rows = lines.size() - 1;
    inputs = new float[rows * 64];
    labels = new int[rows];
    for (int r = 0; r < rows; r++) {
      String[] cells = lines.get(r + 1).split(",");
      for (int c = 0; c < 64; c++) {
        inputs[r * 64 + c] = Float.parseFloat(cells[c]);
      }
      labels[r] = Integer.parseInt(cells[64]);
    }
    teacher = ort(Fixtures.bytes("digits_mlp.onnx"), "input", new long[] {rows, 64}, inputs).data();
  }

  @Test
  void every_student_layout_exports_to_onnx_computing_what_djl_computes() throws Exception {
    PassParameters.Student mlp =
        new PassParameters.Student(StudentType.MLP, List.of(32, 16), null, null, null);
    PassParameters.Student cnn =
        new PassParameters.Student(StudentType.CNN, List.of(12), List.of(4, 6), 3, null);
    List<TensorSpec> images =
        List.of(
            new TensorSpec("x", Datatype.FP32, List.of(-1L, 1L, 8L, 8L)),
            new TensorSpec("x", Datatype.FP32, List.of(-1L, 8L, 8L, 1L)),
            new TensorSpec("x", Datatype.FP32, List.of(-1L, 8L, 8L)),
            new TensorSpec("x", Datatype.FP32, List.of(-1L, 3L, 5L, 7L)));
    List<Object[]> cases = new ArrayList<>();
    cases.add(new Object[] {mlp, FLAT_IN, LOGITS});
    cases.add(
        new Object[] {
          mlp, images.get(0), new TensorSpec("y", Datatype.FP32, List.of(-1L, 1L, 10L))
        });
    for (TensorSpec image : images) {
      cases.add(new Object[] {cnn, image, LOGITS});
    }
    for (Object[] c : cases) {
      PassParameters.Student spec = (PassParameters.Student) c[0];
      TensorSpec in = (TensorSpec) c[1];
      TensorSpec out = (TensorSpec) c[2];
      StudentNetwork net = StudentNetwork.of(spec, in, out);
      float[][] weights = net.initialize(7);
      int n = 5;
      float[] x = new float[n * net.features()];
      Random random = new Random(3);
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) random.nextGaussian();
      }
      float[] expected;
      try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
        NDList list = new NDList();
        for (int i = 0; i < weights.length; i++) {
          list.add(manager.create(weights[i], new Shape(net.parameterShapes().get(i))));
        }
        expected = DistillTraining.scores(net, list, x, n, manager);
      }
      long[] shape = new long[in.shape().size()];
      shape[0] = n;
      for (int i = 1; i < shape.length; i++) {
        shape[i] = in.shape().get(i);
      }
      Output onnx = ort(net.export(weights, in, out, "test").toByteArray(), in.name(), shape, x);
      assertThat(onnx.name()).isEqualTo(out.name());
      assertThat(onnx.shape()[0]).isEqualTo(n);
      assertThat(onnx.shape().length).isEqualTo(out.shape().size());
      float[] actual = onnx.data();
      assertThat(actual).as(in + " " + spec).hasSize(expected.length);
      for (int i = 0; i < actual.length; i++) {
        assertThat((double) actual[i])
            .as(in + " " + spec)
            .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4));
      }
    }
  }

  @Test
  void a_run_resumed_from_a_checkpoint_ends_with_the_weights_of_an_uninterrupted_run(
      @TempDir Path dir) throws IOException {
    DistillTraining.Setup setup = setup(6, 100);
    DistillTraining.Samples train = slice(0, 300);
    DistillTraining.Samples held = slice(1200, 100);

    Path straight = dir.resolve("straight.bin");
    DistillTraining.Outcome whole =
        DistillTraining.train(
            setup, train, held, straight, dir.resolve("a.onnx"), (e, f) -> {}, () -> false);

    // The same run stopped after its third epoch (as a worker dying then would), then resumed.
    Path resumedCheckpoint = dir.resolve("resumed.bin");
    int[] seen = {0};
    try {
      DistillTraining.train(
          setup,
          train,
          held,
          resumedCheckpoint,
          dir.resolve("b.onnx"),
          (e, f) -> seen[0] = e.epoch(),
          () -> seen[0] >= 3);
    } catch (Evaluator.CancelledException expected) {
      // stopped
    }
    assertThat(seen[0]).isEqualTo(3);
    List<Integer> epochsRun = new ArrayList<>();
    DistillTraining.Outcome resumed =
        DistillTraining.train(
            setup,
            train,
            held,
            resumedCheckpoint,
            dir.resolve("b.onnx"),
            (e, f) -> epochsRun.add(e.epoch()),
            () -> false);
    assertThat(resumed.resumedAfter()).isEqualTo(3);
    assertThat(epochsRun).containsExactly(4, 5, 6);
    assertThat(resumed.history()).isEqualTo(whole.history());
    assertThat(Files.readAllBytes(dir.resolve("b.onnx")))
        .isEqualTo(Files.readAllBytes(dir.resolve("a.onnx")));
  }

  @Test
  void a_small_mlp_student_learns_the_digits_teacher(@TempDir Path dir) throws IOException {
    DistillTraining.Setup setup = setup(40, 10);
    DistillTraining.Samples train = slice(0, 1200);
    DistillTraining.Samples held = slice(1200, rows - 1200);
    DistillTraining.Outcome outcome =
        DistillTraining.train(
            setup,
            train,
            held,
            dir.resolve("ck.bin"),
            dir.resolve("s.onnx"),
            (e, f) -> {},
            () -> false);
    dev.modelhub.optimize.PassDetails.DistillEpoch best =
        outcome.history().get(outcome.bestEpoch() - 1);
    assertThat(best.heldOutAgreement()).isGreaterThanOrEqualTo(0.95);
    assertThat(outcome.exportMaxAbsDiff()).isLessThanOrEqualTo(1e-4);
  }

  record Output(String name, long[] shape, float[] data) {}

  /** ONNX Runtime's first output for one FP32 input. */
  static Output ort(byte[] model, String input, long[] shape, float[] x) throws Exception {
    double[] wide = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      wide[i] = x[i];
    }
    Value out =
        OrtReference.run(
                model, List.of(new Value(input, TensorProto.DataType.FLOAT_VALUE, shape, wide)))
            .get(0);
    double[] values = (double[]) out.data();
    float[] narrow = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      narrow[i] = (float) values[i];
    }
    return new Output(out.name(), out.shape(), narrow);
  }

  private static DistillTraining.Setup setup(int epochs, int patience) {
    return setup(epochs, patience, FLAT_IN, "run-a");
  }

  private static DistillTraining.Setup setup(
      int epochs, int patience, TensorSpec input, String fingerprint) {
    PassParameters.Distill params =
        new PassParameters.Distill(
            new PassParameters.Student(StudentType.MLP, List.of(64), null, null, null),
            "train",
            null,
            null,
            null,
            epochs,
            null,
            null,
            patience,
            null,
            null,
            42L,
            null,
            null,
            null,
            null);
    return new DistillTraining.Setup(params, params.student(), input, LOGITS, fingerprint);
  }

  @Test
  void a_damaged_checkpoint_or_one_of_another_run_is_not_continued_from(@TempDir Path dir)
      throws IOException {
    DistillTraining.Samples train = slice(0, 200);
    DistillTraining.Samples held = slice(1200, 50);
    Path checkpoint = dir.resolve("ck.bin");
    List<String> unusable = new ArrayList<>();
    DistillTraining.Progress progress =
        new DistillTraining.Progress() {
          @Override
          public void epoch(dev.modelhub.optimize.PassDetails.DistillEpoch e, Path f) {}

          @Override
          public void unusable(String why) {
            unusable.add(why);
          }
        };

    Files.write(checkpoint, new byte[] {0x4d, 0x48, 0x44, 0x43, 0, 7, 'x'});
    DistillTraining.Outcome fromDamaged =
        DistillTraining.train(
            setup(2, 10), train, held, checkpoint, dir.resolve("a.onnx"), progress, () -> false);
    assertThat(fromDamaged.resumedAfter()).isNull();
    assertThat(fromDamaged.epochsRun()).isEqualTo(2);

    // The checkpoint now holds run-a's two epochs: run-b (another job) starts over.
    DistillTraining.Outcome other =
        DistillTraining.train(
            setup(3, 10, FLAT_IN, "run-b"),
            train,
            held,
            checkpoint,
            dir.resolve("b.onnx"),
            progress,
            () -> false);
    assertThat(other.resumedAfter()).isNull();
    assertThat(other.history()).hasSize(3);
    assertThat(unusable).hasSize(2);
    assertThat(unusable.get(1)).contains("belongs to another run");
  }

  @Test
  void a_teacher_with_a_fixed_batch_gets_a_student_with_that_batch_checked_on_as_many_rows(
      @TempDir Path dir) throws IOException {
    TensorSpec fixed = new TensorSpec("input", Datatype.FP32, List.of(4L, 64L));
    DistillTraining.Outcome outcome =
        DistillTraining.train(
            setup(1, 10, fixed, "fixed"),
            slice(0, 100),
            slice(1200, 10),
            dir.resolve("ck.bin"),
            dir.resolve("s.onnx"),
            (e, f) -> {},
            () -> false);
    assertThat(outcome.exportMaxAbsDiff()).isLessThanOrEqualTo(1e-4);
  }

  @Test
  void probabilities_are_told_from_logits() {
    assertThat(Distiller.probabilities(new float[] {0.2f, 0.8f, 1f, 0f}, 2)).isTrue();
    assertThat(Distiller.probabilities(new float[] {0.2f, 0.8f, 2f, -1f}, 2)).isFalse();
    assertThat(Distiller.probabilities(Arrays.copyOf(teacher, 100), 10)).isFalse();
  }

  private static DistillTraining.Samples slice(int from, int n) {
    return new DistillTraining.Samples(
        Arrays.copyOfRange(inputs, from * 64, (from + n) * 64),
        Arrays.copyOfRange(teacher, from * 10, (from + n) * 10),
        Arrays.copyOfRange(labels, from, from + n),
        n);
  }
}
