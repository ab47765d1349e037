package dev.modelhub.support;

import ai.djl.engine.Engine;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.modelhub.common.HalfFloats;
import dev.modelhub.serving.internal.EngineBootstrap;
import dev.modelhub.support.OnnxTestCase.Value;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an ONNX model directly through ONNX Runtime's own Java API, in the test's process: what
 * "ONNX Runtime itself runs it" means in the conformance test.
 */
public final class OrtReference {

  private OrtReference() {}

  /** ONNX Runtime's outputs for {@code inputs}, in the model's output order. */
  public static List<Value> run(byte[] model, List<Value> inputs) throws OrtException {
    return runs(model, inputs, 1).get(0);
  }

  /**
   * The outputs of {@code times} runs in one session: a random operator (Bernoulli, Dropout in
   * training mode), seeded or not, answers differently from run to run.
   */
  public static List<List<Value>> runs(byte[] model, List<Value> inputs, int times)
      throws OrtException {
    // DJL's engine creates the process's one environment, with its thread pool: created here
    // first, DJL's ONNX Runtime engine could not start in this test JVM afterwards.
    EngineBootstrap.prepare(Path.of("target/engines"), 1);
    Engine.getEngine("OnnxRuntime");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(model, options)) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
          for (Value input : inputs) {
            feeds.put(input.name(), tensor(env, input));
          }
          List<List<Value>> runs = new ArrayList<>();
          for (int run = 0; run < times; run++) {
            try (OrtSession.Result result = session.run(feeds)) {
              List<Value> outputs = new ArrayList<>();
              for (Map.Entry<String, OnnxValue> entry : result) {
                if (!(entry.getValue() instanceof OnnxTensor tensor)) {
                  throw new IllegalStateException(
                      "output '" + entry.getKey() + "' is a " + entry.getValue().getType());
                }
                outputs.add(value(entry.getKey(), tensor));
              }
              runs.add(outputs);
            }
          }
          return runs;
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    }
  }

  private static OnnxTensor tensor(OrtEnvironment env, Value v) throws OrtException {
    if (v.data() instanceof String[] strings) {
      return OnnxTensor.createTensor(env, strings, v.shape());
    }
    OnnxJavaType type =
        switch (v.onnxType()) {
          case 1 -> OnnxJavaType.FLOAT;
          case 11 -> OnnxJavaType.DOUBLE;
          case 10 -> OnnxJavaType.FLOAT16;
          case 16 -> OnnxJavaType.BFLOAT16;
          case 2 -> OnnxJavaType.UINT8;
          case 3 -> OnnxJavaType.INT8;
          case 5 -> OnnxJavaType.INT16;
          case 6 -> OnnxJavaType.INT32;
          case 7 -> OnnxJavaType.INT64;
          case 9 -> OnnxJavaType.BOOL;
          default ->
              throw new UnsupportedOperationException(
                  "ONNX Runtime's Java API has no type for " + v.datatype());
        };
    int n = v.length();
    ByteBuffer buffer = ByteBuffer.allocateDirect(n * type.size).order(ByteOrder.nativeOrder());
    for (int i = 0; i < n; i++) {
      if (v.data() instanceof double[] d) {
        switch (type) {
          case FLOAT -> buffer.putFloat((float) d[i]);
          case DOUBLE -> buffer.putDouble(d[i]);
          case FLOAT16 -> buffer.putShort(HalfFloats.toHalf((float) d[i]));
          default -> buffer.putShort(HalfFloats.toBfloat16((float) d[i]));
        }
      } else if (v.data() instanceof long[] l) {
        switch (type) {
          case UINT8, INT8 -> buffer.put((byte) l[i]);
          case INT16 -> buffer.putShort((short) l[i]);
          case INT32 -> buffer.putInt((int) l[i]);
          default -> buffer.putLong(l[i]);
        }
      } else {
        buffer.put((byte) (((boolean[]) v.data())[i] ? 1 : 0));
      }
    }
    buffer.rewind();
    return OnnxTensor.createTensor(env, buffer, v.shape(), type);
  }

  private static Value value(String name, OnnxTensor tensor) throws OrtException {
    TensorInfo info = tensor.getInfo();
    int n = Math.toIntExact(info.getNumElements());
    long[] shape = info.getShape();
    return switch (info.type) {
      case FLOAT -> {
        double[] v = new double[n];
        var buffer = tensor.getFloatBuffer();
        for (int i = 0; i < n; i++) {
          v[i] = buffer.get(i);
        }
        yield new Value(name, 1, shape, v);
      }
      case DOUBLE -> {
        double[] v = new double[n];
        tensor.getDoubleBuffer().get(v);
        yield new Value(name, 11, shape, v);
      }
      case FLOAT16, BFLOAT16 -> {
        double[] v = new double[n];
        var buffer = tensor.getShortBuffer();
        for (int i = 0; i < n; i++) {
          short bits = buffer.get(i);
          v[i] =
              info.type == OnnxJavaType.FLOAT16
                  ? HalfFloats.fromHalf(bits)
                  : Float.intBitsToFloat((bits & 0xffff) << 16);
        }
        yield new Value(name, info.type == OnnxJavaType.FLOAT16 ? 10 : 16, shape, v);
      }
      case UINT8, INT8 -> {
        long[] v = new long[n];
        var buffer = tensor.getByteBuffer();
        for (int i = 0; i < n; i++) {
          v[i] = info.type == OnnxJavaType.UINT8 ? buffer.get(i) & 0xff : buffer.get(i);
        }
        yield new Value(name, info.type == OnnxJavaType.UINT8 ? 2 : 3, shape, v);
      }
      case INT16 -> {
        long[] v = new long[n];
        var buffer = tensor.getShortBuffer();
        for (int i = 0; i < n; i++) {
          v[i] = buffer.get(i);
        }
        yield new Value(name, 5, shape, v);
      }
      case INT32 -> {
        long[] v = new long[n];
        var buffer = tensor.getIntBuffer();
        for (int i = 0; i < n; i++) {
          v[i] = buffer.get(i);
        }
        yield new Value(name, 6, shape, v);
      }
      case INT64 -> {
        long[] v = new long[n];
        tensor.getLongBuffer().get(v);
        yield new Value(name, 7, shape, v);
      }
      case BOOL -> {
        boolean[] v = new boolean[n];
        var buffer = tensor.getByteBuffer();
        for (int i = 0; i < n; i++) {
          v[i] = buffer.get(i) != 0;
        }
        yield new Value(name, 9, shape, v);
      }
      case STRING -> {
        List<String> flat = new ArrayList<>(n);
        flatten(tensor.getValue(), flat);
        yield new Value(name, 8, shape, flat.toArray(String[]::new));
      }
      default ->
          throw new UnsupportedOperationException(
              "ONNX Runtime's Java API cannot read output '" + name + "' (" + info.type + ")");
    };
  }

  private static void flatten(Object value, List<String> into) {
    if (value instanceof String s) {
      into.add(s);
    } else if (value != null && value.getClass().isArray()) {
      for (int i = 0; i < Array.getLength(value); i++) {
        flatten(Array.get(value, i), into);
      }
    }
  }
}
