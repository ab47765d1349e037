package dev.modelhub.optimize.internal;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.onnx.ModelProto;
import dev.modelhub.optimize.PassDetails;
import dev.modelhub.optimize.PassParameters;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Trains a distillation student on DJL's PyTorch engine, on CPU: mini-batches of the transfer set
 * in an order drawn from the seed, loss T²·KL(teacher ‖ student)·alpha + cross-entropy·(1 − alpha)
 * (soft targets only without labels), Adam, and after each epoch the held-out slice's agreement
 * with the teacher. The best epoch's weights are kept (early stopping after {@code patience} epochs
 * without a better one). After each epoch the whole state — weights, Adam's moments, the best
 * weights, the history — is written to a checkpoint, from which a later run continues exactly where
 * this one was: the order of every epoch depends only on the seed and the epoch.
 *
 * <p>The best weights are exported as ONNX, and the export is checked against the trained network:
 * ONNX Runtime's outputs on held-out samples must equal DJL's within {@value #EXPORT_TOLERANCE}.
 */
final class DistillTraining {

  static final double EXPORT_TOLERANCE = 1e-4;
  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPSILON = 1e-8f;
  private static final int MAGIC = 0x4d484443; // "MHDC"
  private static final int EVAL_BATCH = 256;

  /** Samples as training sees them: inputs, the teacher's scores and labels, flattened. */
  record Samples(float[] inputs, float[] teacher, int[] labels, int count) {}

  /**
   * What to train, for whom.
   *
   * @param fingerprint names the run (job, teacher, data, parameters): a checkpoint written for
   *     another is not continued from
   */
  record Setup(
      PassParameters.Distill params,
      PassParameters.Student student,
      TensorSpec input,
      TensorSpec output,
      String fingerprint) {}

  /**
   * How training went.
   *
   * @param history every epoch, the resumed ones included
   * @param epochsRun epochs completed (by this run and the runs it resumed)
   * @param bestEpoch the epoch whose weights were exported
   * @param stoppedEarly whether early stopping ended it before {@code epochs}
   * @param resumedAfter the epoch of the checkpoint it continued from (null: from the start)
   * @param exportMaxAbsDiff the largest difference between the ONNX export and the trained net
   * @param seconds training time of this run
   */
  record Outcome(
      List<PassDetails.DistillEpoch> history,
      int epochsRun,
      int bestEpoch,
      boolean stoppedEarly,
      Integer resumedAfter,
      double exportMaxAbsDiff,
      double seconds) {}

  /** Hears of each completed epoch, after its checkpoint was written. */
  interface Progress {
    void epoch(PassDetails.DistillEpoch epoch, Path checkpoint) throws IOException;

    /** The checkpoint could not be read: training starts from the beginning. */
    default void unusable(String why) {}
  }

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private DistillTraining() {}

  /**
   * Trains (continuing from {@code checkpoint} if it exists), writes the student to {@code model}.
   *
   * @throws IllegalStateException training diverged, or the export differs from the trained net
   */
  static Outcome train(
      Setup setup,
      Samples train,
      Samples heldOut,
      Path checkpoint,
      Path model,
      Progress progress,
      Interruption cancelled)
      throws IOException {
    long started = System.nanoTime();
    PassParameters.Distill p = setup.params();
    StudentNetwork net = StudentNetwork.of(setup.student(), setup.input(), setup.output());
    List<long[]> shapes = net.parameterShapes();
    State state = null;
    if (Files.isRegularFile(checkpoint, LinkOption.NOFOLLOW_LINKS)) {
      try {
        state = State.read(checkpoint, shapes, setup.fingerprint(), p.epochs());
      } catch (IOException | RuntimeException e) {
        // A damaged checkpoint costs the epochs it held, not the job.
        progress.unusable(e.toString());
      }
    }
    if (state == null) {
      state = State.fresh(net.initialize(p.seed()), setup.fingerprint());
    }
    Integer resumedAfter = state.epoch == 0 ? null : state.epoch;
    Engine engine = Engine.getEngine("PyTorch");
    JniUtils.setGradMode(false);
    int classes = net.classes();
    long[] sample = net.inputSample();
    boolean hardLabels = train.labels() != null && p.alpha() < 1;
    float temperature = p.temperature().floatValue();
    try (NDManager root = engine.newBaseManager()) {
      NDList weights = new NDList();
      NDList m = new NDList();
      NDList v = new NDList();
      for (int i = 0; i < shapes.size(); i++) {
        Shape shape = new Shape(shapes.get(i));
        NDArray w = root.create(state.weights[i], shape);
        w.setRequiresGradient(true);
        weights.add(w);
        m.add(root.create(state.m[i], shape));
        v.add(root.create(state.v[i], shape));
      }
      boolean stoppedEarly = false;
      while (state.epoch < p.epochs()) {
        if (state.sinceBest >= p.patience()) {
          stoppedEarly = true;
          break;
        }
        int epoch = state.epoch + 1;
        int[] order = permutation(train.count(), new Random(p.seed() * 1_000_003L + epoch));
        double lossSum = 0;
        for (int start = 0; start < train.count(); start += p.batchSize()) {
          if (cancelled.requested()) {
            throw new Evaluator.CancelledException();
          }
          int n = Math.min(p.batchSize(), train.count() - start);
          try (NDManager batch = root.newSubManager()) {
            for (NDList list : List.of(weights, m, v)) {
              list.forEach(a -> a.tempAttach(batch));
            }
            NDArray x = batch.create(gather(train.inputs(), order, start, n), shape(n, sample));
            NDArray t =
                batch.create(gather(train.teacher(), order, start, n), new Shape(n, classes));
            NDArray y =
                hardLabels ? batch.create(gatherLabels(train.labels(), order, start, n)) : null;
            try (GradientCollector collector = engine.newGradientCollector()) {
              NDArray scores = net.forward(weights, x);
              NDArray loss = loss(scores, t, y, temperature, p.alpha(), classes);
              collector.backward(loss);
              float value = loss.getFloat();
              if (!Float.isFinite(value)) {
                throw new IllegalStateException(
                    "training diverged at epoch "
                        + epoch
                        + " (the loss is "
                        + value
                        + "); lower learningRate");
              }
              lossSum += (double) value * n;
            }
            state.step++;
            adam(weights, m, v, state.step, p.learningRate());
          }
        }
        Evaluation held = evaluate(net, weights, heldOut, temperature, p.alpha(), root);
        boolean best =
            held.agreement > state.bestAgreement
                || (held.agreement == state.bestAgreement && held.loss < state.bestLoss);
        if (best) {
          state.bestAgreement = held.agreement;
          state.bestLoss = held.loss;
          state.bestEpoch = epoch;
          state.best = toArrays(weights);
          state.sinceBest = 0;
        } else {
          state.sinceBest++;
        }
        PassDetails.DistillEpoch figures =
            new PassDetails.DistillEpoch(
                epoch,
                round(lossSum / train.count()),
                round(held.loss),
                round(held.agreement),
                held.accuracy == null ? null : round(held.accuracy),
                best);
        state.history.add(figures);
        state.epoch = epoch;
        state.weights = toArrays(weights);
        state.m = toArrays(m);
        state.v = toArrays(v);
        state.write(checkpoint);
        progress.epoch(figures, checkpoint);
      }
      if (state.best == null) {
        throw new IllegalStateException("no epoch was trained");
      }
      ModelProto exported =
          net.export(
              state.best,
              setup.input(),
              setup.output(),
              "Distilled by Modelhub: " + JSON.writeValueAsString(setup.student()));
      Files.write(model, exported.toByteArray());
      double diff = exportDifference(net, state.best, heldOut, setup.input(), model, root, shapes);
      if (!(diff <= EXPORT_TOLERANCE)) {
        throw new IllegalStateException(
            "the exported ONNX student differs from the trained one by "
                + diff
                + " (more than "
                + EXPORT_TOLERANCE
                + ")");
      }
      return new Outcome(
          List.copyOf(state.history),
          state.epoch,
          state.bestEpoch,
          stoppedEarly,
          resumedAfter,
          diff,
          (System.nanoTime() - started) / 1e9);
    }
  }

  /** T²·KL(softmax(t/T) ‖ softmax(s/T))·alpha + CE(s, y)·(1 − alpha); KL alone without labels. */
  private static NDArray loss(
      NDArray scores,
      NDArray teacher,
      NDArray labels,
      float temperature,
      double alpha,
      int classes) {
    NDArray studentLog = scores.div(temperature).logSoftmax(1);
    NDArray teacherLog = teacher.div(temperature).logSoftmax(1);
    NDArray kl = teacherLog.exp().mul(teacherLog.sub(studentLog)).sum(new int[] {1}).mean();
    NDArray soft = kl.mul(temperature * temperature);
    if (labels == null) {
      return soft;
    }
    NDArray ce = labels.oneHot(classes).mul(scores.logSoftmax(1)).sum(new int[] {1}).mean().neg();
    return soft.mul((float) alpha).add(ce.mul((float) (1 - alpha)));
  }

  /** One Adam step on every weight, then its gradient zeroed. */
  private static void adam(NDList weights, NDList m, NDList v, long step, double rate) {
    float correction1 = (float) (1 - Math.pow(BETA1, step));
    float correction2 = (float) (1 - Math.pow(BETA2, step));
    for (int i = 0; i < weights.size(); i++) {
      NDArray w = weights.get(i);
      NDArray g = w.getGradient();
      m.get(i).muli(BETA1).addi(g.mul(1 - BETA1));
      v.get(i).muli(BETA2).addi(g.square().mul(1 - BETA2));
      NDArray update =
          m.get(i)
              .div(correction1)
              .div(v.get(i).div(correction2).sqrt().add(EPSILON))
              .mul((float) rate);
      w.subi(update);
      g.muli(0);
    }
  }

  private record Evaluation(double loss, double agreement, Double accuracy, float[] scores) {}

  /** The student's scores on {@code samples} and the figures early stopping reads. */
  private static Evaluation evaluate(
      StudentNetwork net,
      NDList weights,
      Samples samples,
      float temperature,
      double alpha,
      NDManager root) {
    int classes = net.classes();
    float[] scores = scores(net, weights, samples.inputs(), samples.count(), root);
    double loss = 0;
    int agree = 0;
    int correct = 0;
    boolean labelled = samples.labels() != null;
    for (int s = 0; s < samples.count(); s++) {
      int at = s * classes;
      double[] student = logSoftmax(scores, at, classes, temperature);
      double[] teacher = logSoftmax(samples.teacher(), at, classes, temperature);
      double kl = 0;
      for (int c = 0; c < classes; c++) {
        kl += Math.exp(teacher[c]) * (teacher[c] - student[c]);
      }
      double sampleLoss = kl * temperature * temperature;
      int picked = argmax(scores, at, classes);
      if (labelled) {
        double ce = -logSoftmax(scores, at, classes, 1)[samples.labels()[s]];
        sampleLoss = alpha < 1 ? alpha * sampleLoss + (1 - alpha) * ce : sampleLoss;
        if (picked == samples.labels()[s]) {
          correct++;
        }
      }
      loss += sampleLoss;
      if (picked == argmax(samples.teacher(), at, classes)) {
        agree++;
      }
    }
    int n = samples.count();
    return new Evaluation(
        loss / n, (double) agree / n, labelled ? (double) correct / n : null, scores);
  }

  /** The network's scores for {@code count} samples, in batches, without gradients. */
  static float[] scores(
      StudentNetwork net, NDList weights, float[] inputs, int count, NDManager root) {
    int features = net.features();
    int classes = net.classes();
    float[] out = new float[count * classes];
    for (int start = 0; start < count; start += EVAL_BATCH) {
      int n = Math.min(EVAL_BATCH, count - start);
      try (NDManager batch = root.newSubManager()) {
        weights.forEach(a -> a.tempAttach(batch));
        float[] slice = new float[n * features];
        System.arraycopy(inputs, start * features, slice, 0, slice.length);
        NDArray x = batch.create(slice, shape(n, net.inputSample()));
        float[] result = net.forward(weights, x).toFloatArray();
        System.arraycopy(result, 0, out, start * classes, result.length);
      }
    }
    return out;
  }

  /**
   * The largest difference between ONNX Runtime's outputs of the exported model and DJL's of the
   * trained weights, on up to 256 held-out samples (as many as a fixed batch dimension says, padded
   * with zeros).
   */
  private static double exportDifference(
      StudentNetwork net,
      float[][] best,
      Samples heldOut,
      TensorSpec input,
      Path model,
      NDManager root,
      List<long[]> shapes)
      throws IOException {
    long fixed = input.shape().get(0);
    int n = fixed > 0 ? (int) fixed : Math.min(heldOut.count(), EVAL_BATCH);
    float[] x = new float[n * net.features()];
    System.arraycopy(heldOut.inputs(), 0, x, 0, Math.min(n, heldOut.count()) * net.features());
    float[] expected;
    NDList weights = new NDList();
    try (NDManager scope = root.newSubManager()) {
      for (int i = 0; i < shapes.size(); i++) {
        weights.add(scope.create(best[i], new Shape(shapes.get(i))));
      }
      expected = scores(net, weights, x, n, scope);
    }
    float[] actual;
    try {
      OrtEnvironment env = Evaluator.environment();
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setIntraOpNumThreads(1);
        try (OrtSession session = env.createSession(model.toString(), options);
            OnnxTensor tensor =
                OnnxTensor.createTensor(
                    env, FloatBuffer.wrap(x), shape(n, net.inputSample()).getShape());
            OrtSession.Result result =
                session.run(Map.of(session.getInputNames().iterator().next(), tensor))) {
          OnnxTensor out = (OnnxTensor) result.get(0);
          actual = new float[Math.toIntExact(out.getInfo().getNumElements())];
          out.getFloatBuffer().get(actual);
        }
      }
    } catch (ai.onnxruntime.OrtException e) {
      throw new IllegalStateException(
          "ONNX Runtime refused the exported student: " + e.getMessage(), e);
    }
    if (actual.length != expected.length) {
      throw new IllegalStateException(
          "the exported student answers "
              + actual.length
              + " values for "
              + n
              + " samples, the trained one "
              + expected.length);
    }
    double max = 0;
    for (int i = 0; i < actual.length; i++) {
      max = Math.max(max, Math.abs((double) actual[i] - expected[i]));
    }
    return max;
  }

  private static Shape shape(int n, long[] sample) {
    long[] dims = new long[sample.length + 1];
    dims[0] = n;
    System.arraycopy(sample, 0, dims, 1, sample.length);
    return new Shape(dims);
  }

  static int[] permutation(int n, Random random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }

  private static float[] gather(float[] values, int[] order, int start, int n) {
    int per = values.length / order.length;
    float[] out = new float[n * per];
    for (int i = 0; i < n; i++) {
      System.arraycopy(values, order[start + i] * per, out, i * per, per);
    }
    return out;
  }

  private static long[] gatherLabels(int[] labels, int[] order, int start, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = labels[order[start + i]];
    }
    return out;
  }

  private static double[] logSoftmax(float[] values, int at, int n, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, values[at + i] / temperature);
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += Math.exp(values[at + i] / temperature - max);
    }
    double log = max + Math.log(sum);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = values[at + i] / temperature - log;
    }
    return out;
  }

  static int argmax(float[] values, int at, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (values[at + i] > values[at + best]) {
        best = i;
      }
    }
    return best;
  }

  private static float[][] toArrays(NDList arrays) {
    float[][] out = new float[arrays.size()][];
    for (int i = 0; i < arrays.size(); i++) {
      out[i] = arrays.get(i).toFloatArray();
    }
    return out;
  }

  /** The epoch a checkpoint file holds, or -1 when it cannot be read. */
  static int epochIn(Path checkpoint) {
    try (DataInputStream in =
        new DataInputStream(Files.newInputStream(checkpoint, LinkOption.NOFOLLOW_LINKS))) {
      if (in.readInt() != MAGIC) {
        return -1;
      }
      in.readUTF();
      return in.readInt();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static double round(double value) {
    return Math.round(value * 1e6) / 1e6;
  }

  /** Training state, as a checkpoint holds it. */
  private static final class State {
    String fingerprint;
    int epoch;
    long step;
    int bestEpoch;
    double bestAgreement = -1;
    double bestLoss = Double.POSITIVE_INFINITY;
    int sinceBest;
    List<PassDetails.DistillEpoch> history = new ArrayList<>();
    float[][] weights;
    float[][] m;
    float[][] v;
    float[][] best;

    static State fresh(float[][] initial, String fingerprint) {
      State state = new State();
      state.fingerprint = fingerprint;
      state.weights = initial;
      state.m = zerosLike(initial);
      state.v = zerosLike(initial);
      return state;
    }

    private static float[][] zerosLike(float[][] arrays) {
      float[][] out = new float[arrays.length][];
      for (int i = 0; i < arrays.length; i++) {
        out[i] = new float[arrays[i].length];
      }
      return out;
    }

    /** Written beside, then moved over the old one: a reader sees one whole checkpoint. */
    void write(Path file) throws IOException {
      Path partial = file.resolveSibling(file.getFileName() + ".partial");
      try (DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16))) {
        out.writeInt(MAGIC);
        out.writeUTF(fingerprint);
        out.writeInt(epoch);
        out.writeLong(step);
        out.writeInt(bestEpoch);
        out.writeDouble(bestAgreement);
        out.writeDouble(bestLoss);
        out.writeInt(sinceBest);
        byte[] text = JSON.writeValueAsBytes(history);
        out.writeInt(text.length);
        out.write(text);
        out.writeInt(weights.length);
        for (float[][] set : List.of(weights, m, v, best)) {
          for (float[] values : set) {
            FloatFrames.write(out, values);
          }
        }
      }
      Files.move(
          partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Reads a checkpoint of a student with these parameter shapes.
     *
     * @throws IllegalStateException it is not one (another job's, or damaged)
     */
    static State read(Path file, List<long[]> shapes, String fingerprint, int epochs)
        throws IOException {
      try (DataInputStream in =
          new DataInputStream(
              new BufferedInputStream(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)))) {
        if (in.readInt() != MAGIC) {
          throw new IllegalStateException("the checkpoint is not a distillation checkpoint");
        }
        if (!in.readUTF().equals(fingerprint)) {
          throw new IllegalStateException("the checkpoint belongs to another run");
        }
        State state = new State();
        state.fingerprint = fingerprint;
        state.epoch = in.readInt();
        state.step = in.readLong();
        state.bestEpoch = in.readInt();
        state.bestAgreement = in.readDouble();
        state.bestLoss = in.readDouble();
        state.sinceBest = in.readInt();
        int textLength = in.readInt();
        if (textLength < 0 || textLength > 64 << 20) {
          throw new IllegalStateException("the checkpoint's history is damaged");
        }
        byte[] text = new byte[textLength];
        FloatFrames.readFullyOrThrow(in, text);
        state.history =
            new ArrayList<>(
                JSON.readValue(
                    new String(text, StandardCharsets.UTF_8),
                    new TypeReference<List<PassDetails.DistillEpoch>>() {}));
        if (in.readInt() != shapes.size()) {
          throw new IllegalStateException("the checkpoint holds another student");
        }
        float[][][] sets = new float[4][shapes.size()][];
        for (float[][] set : sets) {
          for (int i = 0; i < shapes.size(); i++) {
            long expected = StudentNetwork.product(shapes.get(i));
            float[] values = FloatFrames.read(in, expected);
            if (values.length != expected) {
              throw new IllegalStateException("the checkpoint holds another student");
            }
            set[i] = values;
          }
        }
        state.weights = sets[0];
        state.m = sets[1];
        state.v = sets[2];
        state.best = sets[3];
        if (state.epoch < 1
            || state.epoch > epochs
            || state.history.size() != state.epoch
            || state.bestEpoch < 1
            || state.bestEpoch > state.epoch
            || state.step < 1) {
          throw new IllegalStateException("the checkpoint's counts do not add up");
        }
        for (float[][] set : sets) {
          for (float[] values : set) {
            for (float value : values) {
              if (!Float.isFinite(value)) {
                throw new IllegalStateException("the checkpoint holds a value that is not finite");
              }
            }
          }
        }
        return state;
      }
    }
  }
}
