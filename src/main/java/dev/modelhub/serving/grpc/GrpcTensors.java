package dev.modelhub.serving.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.ServingExceptions;
import dev.modelhub.serving.Tensor;
import dev.modelhub.serving.TensorBytes;
import dev.modelhub.serving.TensorData;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataResponse.TensorMetadata;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tensors in and out of {@code ModelInfer}: inputs from {@code raw_input_contents} (read straight
 * into their buffers) or from typed {@code contents}; outputs always as {@code
 * raw_output_contents}, as Triton answers and its clients read.
 */
final class GrpcTensors {

  /** Most dimensions one tensor may have, as over HTTP. */
  static final int MAX_RANK = 32;

  /** Most inputs one request may have, as over HTTP. */
  static final int MAX_INPUTS = 1024;

  private GrpcTensors() {}

  static List<Tensor> inputs(ModelInferRequest request, long maxElements) {
    int count = request.getInputsCount();
    if (count > MAX_INPUTS) {
      throw ServingExceptions.invalidInput("The request has more than " + MAX_INPUTS + " inputs.");
    }
    int raw = request.getRawInputContentsCount();
    if (raw > 0 && raw != count) {
      throw ServingExceptions.invalidInput(
          "The request has "
              + count
              + " inputs but "
              + raw
              + " raw_input_contents; with raw contents, every input needs one, in order.");
    }
    List<Tensor> inputs = new ArrayList<>(count);
    long budget = maxElements;
    for (int i = 0; i < count; i++) {
      InferInputTensor input = request.getInputs(i);
      String name = input.getName();
      if (name.isBlank()) {
        throw ServingExceptions.invalidInput("Every input needs a name.");
      }
      Datatype type = ServingExceptions.datatype(name, input.getDatatype());
      long[] shape = shape(name, input.getShapeList(), budget);
      budget -= Tensor.elements(shape);
      TensorData data;
      if (raw > 0) {
        if (input.hasContents()) {
          throw ServingExceptions.invalidInput(
              "Input '" + name + "' has contents and raw_input_contents; send it one way.");
        }
        data = TensorBytes.read(name, type, shape, request.getRawInputContents(i).toByteArray());
      } else {
        data = contents(name, type, shape, input.getContents());
      }
      inputs.add(new Tensor(name, type, shape, data));
    }
    return inputs;
  }

  /**
   * A shape of at most {@link #MAX_RANK} dimensions ≥ 0 holding at most {@code budget} elements.
   */
  private static long[] shape(String name, List<Long> dims, long budget) {
    String what = "The shape of input '" + name + "'";
    if (dims.size() > MAX_RANK) {
      throw ServingExceptions.invalidInput(what + " has more than " + MAX_RANK + " dimensions.");
    }
    long[] shape = new long[dims.size()];
    long product = 1;
    for (int i = 0; i < shape.length; i++) {
      long dim = dims.get(i);
      if (dim < 0) {
        throw ServingExceptions.invalidInput(what + " has " + dim + "; dimensions must be ≥ 0.");
      }
      // An empty tensor with enormous dimensions is refused too: the others are multiplied.
      if (dim > 0 && product > budget / dim) {
        throw ServingExceptions.invalidInput(
            what
                + " describes more elements than a request may hold"
                + " (modelhub.serving.max-tensor-elements).");
      }
      product *= Math.max(dim, 1);
      shape[i] = dim;
    }
    return shape;
  }

  private static TensorData contents(
      String name, Datatype type, long[] shape, InferTensorContents contents) {
    int n = (int) Tensor.elements(shape);
    // The count first: nothing is converted for contents that do not fit the shape.
    int given =
        switch (type) {
          case BOOL -> contents.getBoolContentsCount();
          case INT8, INT16, INT32 -> contents.getIntContentsCount();
          case INT64 -> contents.getInt64ContentsCount();
          case UINT8, UINT16, UINT32 -> contents.getUintContentsCount();
          case UINT64 -> contents.getUint64ContentsCount();
          case FP32 -> contents.getFp32ContentsCount();
          case FP64 -> contents.getFp64ContentsCount();
          case BYTES -> contents.getBytesContentsCount();
          default -> n;
        };
    if (given != n) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' has "
              + given
              + " elements in its contents but shape "
              + Arrays.toString(shape)
              + " needs "
              + n
              + ".");
    }
    TensorData data =
        switch (type) {
          case BOOL -> {
            boolean[] values = new boolean[contents.getBoolContentsCount()];
            for (int i = 0; i < values.length; i++) {
              values[i] = contents.getBoolContents(i);
            }
            yield new TensorData.Booleans(values);
          }
          case INT8, INT16, INT32 ->
              new TensorData.Integers(
                  contents.getIntContentsList().stream().mapToLong(Integer::longValue).toArray());
          case INT64 ->
              new TensorData.Integers(
                  contents.getInt64ContentsList().stream().mapToLong(Long::longValue).toArray());
          case UINT8, UINT16, UINT32 ->
              new TensorData.Integers(
                  contents.getUintContentsList().stream()
                      .mapToLong(Integer::toUnsignedLong)
                      .toArray());
          case UINT64 ->
              new TensorData.Integers(
                  contents.getUint64ContentsList().stream().mapToLong(Long::longValue).toArray());
          case FP32 ->
              new TensorData.Reals(
                  contents.getFp32ContentsList().stream()
                      .mapToDouble(Float::doubleValue)
                      .toArray());
          case FP64 ->
              new TensorData.Reals(
                  contents.getFp64ContentsList().stream()
                      .mapToDouble(Double::doubleValue)
                      .toArray());
          case BYTES ->
              new TensorData.Blobs(
                  contents.getBytesContentsList().stream()
                      .map(ByteString::toByteArray)
                      .toArray(byte[][]::new));
          default ->
              throw ServingExceptions.invalidInput(
                  "Input '"
                      + name
                      + "' is "
                      + type
                      + ", which the protocol's contents cannot hold; send it in"
                      + " raw_input_contents.");
        };
    if (data.length() != n) {
      throw ServingExceptions.invalidInput(
          "Input '"
              + name
              + "' has "
              + data.length()
              + " elements in its contents but shape "
              + Arrays.toString(shape)
              + " needs "
              + n
              + ".");
    }
    if (type != Datatype.INT64
        && type != Datatype.UINT64
        && data instanceof TensorData.Integers i) {
      checkRange(name, type, i.values());
    }
    return data;
  }

  /** Whole numbers sent in the 32-bit contents must fit their narrower datatype. */
  private static void checkRange(String name, Datatype type, long[] values) {
    long min = type.minWhole();
    long max = type.maxWhole();
    for (long v : values) {
      if (v < min || v > max) {
        throw ServingExceptions.invalidInput(
            "Input '" + name + "' holds " + v + ", outside the range of " + type + ".");
      }
    }
  }

  /** Adds {@code outputs} to {@code response}: their descriptions, and their raw elements. */
  static void outputs(List<Tensor> outputs, ModelInferResponse.Builder response) {
    for (Tensor output : outputs) {
      ModelInferResponse.InferOutputTensor.Builder tensor =
          response.addOutputsBuilder().setName(output.name()).setDatatype(output.datatype().name());
      for (long dim : output.shape()) {
        tensor.addShape(dim);
      }
      response.addRawOutputContents(UnsafeByteOperations.unsafeWrap(TensorBytes.write(output)));
    }
  }

  static List<TensorMetadata> metadata(List<TensorSpec> specs) {
    List<TensorMetadata> out = new ArrayList<>(specs.size());
    for (TensorSpec spec : specs) {
      TensorMetadata.Builder tensor =
          TensorMetadata.newBuilder().setName(spec.name()).setDatatype(spec.datatype().name());
      if (spec.shape() == null) {
        tensor.addShape(-1);
      } else {
        spec.shape().forEach(tensor::addShape);
      }
      out.add(tensor.build());
    }
    return out;
  }
}
