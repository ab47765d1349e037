package dev.modelhub.serving.internal;

import ai.djl.engine.Engine;
import ai.djl.translate.TranslateException;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.modelhub.common.HalfFloats;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorBytes;
import dev.modelhub.serving.TensorData;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntToDoubleFunction;
import java.util.function.IntToLongFunction;

/**
 * An ONNX model run through ONNX Runtime's own Java API rather than DJL's NDArray layer, for what
 * that layer cannot carry: models without inputs (DJL's block indexes its first input), INT16, BF16
 * (DJL 0.36 reads no BF16 output) and BYTES (string) tensors, and UINT16/32/64 — which ONNX
 * Runtime's Java API has no type for either, so such a model is loaded with {@link
 * UnsignedCarriers} casting them from and to INT32/INT64.
 */
final class OrtOnnx implements EngineInstance {

  /** Datatypes that need this path rather than DJL's. */
  static final Set<Datatype> NEEDED_FOR =
      EnumSet.of(
          Datatype.INT16,
          Datatype.UINT16,
          Datatype.UINT32,
          Datatype.UINT64,
          Datatype.BYTES,
          Datatype.BF16);

  private final OrtSession session;
  private final List<TensorSpec> outputs;
  private final long maxOutputElements;

  private OrtOnnx(OrtSession session, List<TensorSpec> outputs, long maxOutputElements) {
    this.session = session;
    this.outputs = outputs;
    this.maxOutputElements = maxOutputElements;
  }

  /**
   * ONNX Runtime's one environment per process, created by DJL's engine (with its thread pool):
   * created here first, DJL's engine would fail to start in this process for every other model.
   */
  static OrtEnvironment environment() {
    Engine.getEngine("OnnxRuntime");
    return OrtEnvironment.getEnvironment();
  }

  /** Whether a model of {@code signature} must run here rather than through DJL. */
  static boolean needed(ModelSignature signature) {
    return signature.inputs().isEmpty()
        || signature.inputs().stream().anyMatch(s -> NEEDED_FOR.contains(s.datatype()))
        || signature.outputs().stream().anyMatch(s -> NEEDED_FOR.contains(s.datatype()));
  }

  static OrtOnnx load(Path path, ModelSignature signature, int intraOpThreads, long maxElements)
      throws Exception {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1);
      OrtEnvironment env = environment();
      OrtSession session =
          UnsignedCarriers.needed(signature)
              ? env.createSession(UnsignedCarriers.rewrite(path), options)
              : env.createSession(path.toString(), options);
      return new OrtOnnx(
          session, signature.outputs(), Math.min(Integer.MAX_VALUE / Long.BYTES, 16 * maxElements));
    }
  }

  @Override
  public EngineSession newSession() {
    return new EngineSession() {
      @Override
      public List<Tensor> call(List<Tensor> inputs) throws TranslateException {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
          for (Tensor input : inputs) {
            feeds.put(input.name(), toOnnx(input));
          }
          try (OrtSession.Result result = session.run(feeds)) {
            List<Tensor> answer = new ArrayList<>(outputs.size());
            for (TensorSpec spec : outputs) {
              Optional<OnnxValue> value = result.get(spec.name());
              if (value.isEmpty() || !(value.get() instanceof OnnxTensor tensor)) {
                throw new TranslateException("output '" + spec.name() + "' is not a tensor");
              }
              answer.add(toTensor(spec, tensor, maxOutputElements));
            }
            return answer;
          }
        } catch (OrtException | RuntimeException e) {
          throw new TranslateException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }

      @Override
      public void close() {
        // the session is the model's; nothing per call
      }
    };
  }

  /** An input as ONNX Runtime takes it; UINT16 in an INT32, UINT32 and UINT64 in an INT64. */
  private static OnnxTensor toOnnx(Tensor tensor) throws OrtException {
    OrtEnvironment env = environment();
    Tensor input = TensorBytes.numbers(tensor);
    long[] shape = input.shape();
    if (input.data() instanceof TensorData.Strings strings) {
      return OnnxTensor.createTensor(env, strings.values(), shape);
    }
    OnnxJavaType type =
        switch (input.datatype()) {
          case FP32 -> OnnxJavaType.FLOAT;
          case FP64 -> OnnxJavaType.DOUBLE;
          case FP16 -> OnnxJavaType.FLOAT16;
          case BF16 -> OnnxJavaType.BFLOAT16;
          case UINT8 -> OnnxJavaType.UINT8;
          case INT8 -> OnnxJavaType.INT8;
          case INT16 -> OnnxJavaType.INT16;
          case INT32, UINT16 -> OnnxJavaType.INT32;
          case INT64, UINT32, UINT64 -> OnnxJavaType.INT64;
          case BOOL -> OnnxJavaType.BOOL;
          default ->
              throw new IllegalArgumentException(
                  "input '" + input.name() + "' is " + input.datatype() + ", which is not served");
        };
    int n = input.data().length();
    ByteBuffer buffer = ByteBuffer.allocateDirect(n * type.size).order(ByteOrder.nativeOrder());
    TensorData data = input.data();
    for (int i = 0; i < n; i++) {
      if (data instanceof TensorData.Reals reals) {
        double v = reals.values()[i];
        switch (type) {
          case FLOAT -> buffer.putFloat((float) v);
          case DOUBLE -> buffer.putDouble(v);
          case FLOAT16 -> buffer.putShort(HalfFloats.toHalf((float) v));
          default -> buffer.putShort(HalfFloats.toBfloat16((float) v));
        }
      } else if (data instanceof TensorData.Integers integers) {
        long v = integers.values()[i];
        switch (type) {
          case UINT8, INT8 -> buffer.put((byte) v);
          case INT16 -> buffer.putShort((short) v);
          case INT32 -> buffer.putInt((int) v);
          default -> buffer.putLong(v);
        }
      } else if (data instanceof TensorData.Booleans booleans) {
        buffer.put((byte) (booleans.values()[i] ? 1 : 0));
      }
    }
    buffer.rewind();
    return OnnxTensor.createTensor(env, buffer, shape, type);
  }

  private static Tensor toTensor(TensorSpec spec, OnnxTensor tensor, long maxElements)
      throws TranslateException, OrtException {
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
          case BFLOAT16 -> {
            var halves = tensor.getShortBuffer();
            yield reals(n, i -> Float.intBitsToFloat((halves.get(i) & 0xffff) << 16));
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
          case STRING -> strings(n, tensor.getValue(), maxElements * Long.BYTES);
          default ->
              throw new TranslateException(
                  "output '" + spec.name() + "' has type " + info.type + ", which is not served");
        };
    return new Tensor(spec.name(), spec.datatype(), info.getShape(), data);
  }

  /** A string tensor's elements in row-major order, at most {@code maxChars} characters in all. */
  private static TensorData strings(int n, Object nested, long maxChars) throws TranslateException {
    String[] values = new String[n];
    int[] next = {0};
    long[] chars = {0};
    flatten(nested, values, next, chars, maxChars);
    return new TensorData.Strings(values);
  }

  private static void flatten(Object value, String[] into, int[] next, long[] chars, long maxChars)
      throws TranslateException {
    if (value instanceof String s) {
      // weighed as the node reads it: UTF-8 bytes (at most 3 per char) and an object's overhead
      chars[0] += 48 + 3L * s.length();
      if (chars[0] > maxChars) {
        throw new TranslateException("the strings answered are longer than can be answered");
      }
      into[next[0]++] = s;
    } else if (value != null && value.getClass().isArray()) {
      int length = Array.getLength(value);
      for (int i = 0; i < length; i++) {
        flatten(Array.get(value, i), into, next, chars, maxChars);
      }
    }
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
