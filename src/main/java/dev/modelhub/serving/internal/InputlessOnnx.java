package dev.modelhub.serving.internal;

import ai.djl.translate.TranslateException;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.modelhub.common.HalfFloats;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorData;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An ONNX model without inputs (a table, a constant, a generator), run through ONNX Runtime's own
 * API: DJL's ONNX Runtime block needs at least one input to run.
 */
final class InputlessOnnx implements EngineInstance {

  private final OrtSession session;
  private final List<TensorSpec> outputs;

  private InputlessOnnx(OrtSession session, List<TensorSpec> outputs) {
    this.session = session;
    this.outputs = outputs;
  }

  static InputlessOnnx load(Path path, List<TensorSpec> outputs, int intraOpThreads)
      throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1);
      return new InputlessOnnx(
          OrtEnvironment.getEnvironment().createSession(path.toString(), options), outputs);
    }
  }

  @Override
  public EngineSession newSession() {
    return new EngineSession() {
      @Override
      public List<Tensor> call(List<Tensor> inputs) throws TranslateException {
        try (OrtSession.Result result = session.run(Map.of())) {
          List<Tensor> answer = new ArrayList<>(outputs.size());
          for (TensorSpec spec : outputs) {
            Optional<OnnxValue> value = result.get(spec.name());
            if (value.isEmpty() || !(value.get() instanceof OnnxTensor tensor)) {
              throw new TranslateException("output '" + spec.name() + "' is not a tensor");
            }
            answer.add(toTensor(spec, tensor));
          }
          return answer;
        } catch (OrtException e) {
          throw new TranslateException(e.getMessage(), e);
        }
      }

      @Override
      public void close() {
        // the session is the model's; nothing per call
      }
    };
  }

  private static Tensor toTensor(TensorSpec spec, OnnxTensor tensor) throws TranslateException {
    TensorInfo info = tensor.getInfo();
    int n = Math.toIntExact(info.getNumElements());
    TensorData data =
        switch (info.type) {
          case FLOAT -> {
            double[] v = new double[n];
            var buffer = tensor.getFloatBuffer();
            for (int i = 0; i < n; i++) {
              v[i] = buffer.get(i);
            }
            yield new TensorData.Reals(v);
          }
          case DOUBLE -> {
            double[] v = new double[n];
            tensor.getDoubleBuffer().get(v);
            yield new TensorData.Reals(v);
          }
          case FLOAT16 -> {
            double[] v = new double[n];
            var buffer = tensor.getShortBuffer();
            for (int i = 0; i < n; i++) {
              v[i] = HalfFloats.fromHalf(buffer.get(i));
            }
            yield new TensorData.Reals(v);
          }
          case INT64 -> {
            long[] v = new long[n];
            tensor.getLongBuffer().get(v);
            yield new TensorData.Integers(v);
          }
          case INT32 -> {
            long[] v = new long[n];
            var buffer = tensor.getIntBuffer();
            for (int i = 0; i < n; i++) {
              v[i] = buffer.get(i);
            }
            yield new TensorData.Integers(v);
          }
          case INT16 -> {
            long[] v = new long[n];
            var buffer = tensor.getShortBuffer();
            for (int i = 0; i < n; i++) {
              v[i] = buffer.get(i);
            }
            yield new TensorData.Integers(v);
          }
          case INT8, UINT8 -> {
            long[] v = new long[n];
            ByteBuffer buffer = tensor.getByteBuffer();
            for (int i = 0; i < n; i++) {
              v[i] =
                  info.type == ai.onnxruntime.OnnxJavaType.UINT8
                      ? buffer.get(i) & 0xff
                      : buffer.get(i);
            }
            yield new TensorData.Integers(v);
          }
          case BOOL -> {
            boolean[] v = new boolean[n];
            ByteBuffer buffer = tensor.getByteBuffer();
            for (int i = 0; i < n; i++) {
              v[i] = buffer.get(i) != 0;
            }
            yield new TensorData.Booleans(v);
          }
          default ->
              throw new TranslateException(
                  "output '" + spec.name() + "' has type " + info.type + ", which is not served");
        };
    return new Tensor(spec.name(), spec.datatype(), info.getShape(), data);
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      // closing: nothing to do about it
    }
  }
}
