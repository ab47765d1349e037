package dev.modelhub.optimize.internal;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.modelhub.format.Datatype;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/**
 * One model input across every sample of the evaluation data: the samples' elements one after the
 * other in a buffer of the input's type (FloatBuffer for FP32, LongBuffer for INT64, ByteBuffer for
 * INT8, UINT8 and BOOL…).
 *
 * @param name the model input it feeds
 * @param datatype its element type
 * @param sampleShape the shape of one sample (the batch dimension left out)
 * @param values every sample's elements
 */
public record InputColumn(String name, Datatype datatype, long[] sampleShape, Buffer values) {

  /** Elements in one sample. */
  public int perSample() {
    return Math.toIntExact(EvaluationData.count(sampleShape));
  }

  /** The same elements feeding another input, in another sample shape of the same size. */
  InputColumn as(String otherName, long[] otherShape) {
    return new InputColumn(otherName, datatype, otherShape, values);
  }

  /** Samples {@code start} to {@code start + n} as one batch tensor. */
  OnnxTensor batch(OrtEnvironment env, int start, int n) throws OrtException {
    int per = perSample();
    int from = start * per;
    int length = n * per;
    long[] shape = new long[sampleShape.length + 1];
    shape[0] = n;
    System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
    return switch (datatype) {
      case FP32 -> OnnxTensor.createTensor(env, ((FloatBuffer) values).slice(from, length), shape);
      case FP64 -> OnnxTensor.createTensor(env, ((DoubleBuffer) values).slice(from, length), shape);
      case INT32 -> OnnxTensor.createTensor(env, ((IntBuffer) values).slice(from, length), shape);
      case INT64 -> OnnxTensor.createTensor(env, ((LongBuffer) values).slice(from, length), shape);
      case INT8, UINT8, BOOL ->
          OnnxTensor.createTensor(
              env,
              ((ByteBuffer) values).slice(from, length),
              shape,
              switch (datatype) {
                case INT8 -> OnnxJavaType.INT8;
                case UINT8 -> OnnxJavaType.UINT8;
                default -> OnnxJavaType.BOOL;
              });
      default -> throw new IllegalStateException(datatype + " inputs are not evaluated");
    };
  }
}
