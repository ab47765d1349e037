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
import java.util.function.IntToDoubleFunction;
import java.util.function.IntToLongFunction;

/**
 * An ONNX model without inputs (a table, a constant, a generator), run through ONNX Runtime's own
 * API: DJL's ONNX Runtime block needs at least one input to run.
 */
final class InputlessOnnx implements EngineInstance {

  private final OrtSession session;
  private final List<TensorSpec> outputs;
  private final long maxOutputElements;

  private InputlessOnnx(OrtSession session, List<TensorSpec> outputs, long maxOutputElements) {
    this.session = session;
    this.outputs = outputs;
    this.maxOutputElements = maxOutputElements;
  }

  static InputlessOnnx load(
      Path path, List<TensorSpec> outputs, int intraOpThreads, long maxElements)
      throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1);
      return new InputlessOnnx(
          OrtEnvironment.getEnvironment().createSession(path.toString(), options),
          outputs,
          Math.min(Integer.MAX_VALUE / Long.BYTES, 16 * maxElements));
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
            answer.add(toTensor(spec, tensor, maxOutputElements));
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

  private static Tensor toTensor(TensorSpec spec, OnnxTensor tensor, long maxElements)
      throws TranslateException {
    TensorInfo info = tensor.getInfo();
    long elements = info.getNumElements();
    if (elements > maxElements) {
      // the host's answer to the node is bounded too; refuse rather than fail on the copy
      throw new TranslateException(
          "output '" + spec.name() + "' has " + elements + " elements, more than can be answered");
    }
    int n = (int) elements;
    TensorData data =
        switch (info.type) {
          case FLOAT -> reals(n, tensor.getFloatBuffer()::get);
          case DOUBLE -> reals(n, tensor.getDoubleBuffer()::get);
          case FLOAT16 -> {
            var halves = tensor.getShortBuffer();
            yield reals(n, i -> HalfFloats.fromHalf(halves.get(i)));
          }
          case INT64 -> integers(n, tensor.getLongBuffer()::get);
          case INT32 -> integers(n, tensor.getIntBuffer()::get);
          case INT16 -> integers(n, tensor.getShortBuffer()::get);
          case INT8 -> integers(n, tensor.getByteBuffer()::get);
          case UINT8 -> {
            ByteBuffer bytes = tensor.getByteBuffer();
            yield integers(n, i -> bytes.get(i) & 0xff);
          }
          case BOOL -> {
            ByteBuffer bytes = tensor.getByteBuffer();
            boolean[] v = new boolean[n];
            for (int i = 0; i < n; i++) {
              v[i] = bytes.get(i) != 0;
            }
            yield new TensorData.Booleans(v);
          }
          default ->
              throw new TranslateException(
                  "output '" + spec.name() + "' has type " + info.type + ", which is not served");
        };
    return new Tensor(spec.name(), spec.datatype(), info.getShape(), data);
  }

  private static TensorData reals(int n, IntToDoubleFunction element) {
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = element.applyAsDouble(i);
    }
    return new TensorData.Reals(values);
  }

  private static TensorData integers(int n, IntToLongFunction element) {
    long[] values = new long[n];
    for (int i = 0; i < n; i++) {
      values[i] = element.applyAsLong(i);
    }
    return new TensorData.Integers(values);
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
