package dev.modelhub.serving.internal;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.serving.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A model loaded by DJL in this process: what an engine host runs, and isolation {@code none}. */
final class DjlEngine implements EngineInstance {

  private final Model model;
  private final List<String> outputNames;
  private final ModelFormat format;
  private final boolean inputless;

  private DjlEngine(Model model, List<String> outputNames, ModelFormat format, boolean inputless) {
    this.model = model;
    this.outputNames = outputNames;
    this.format = format;
    this.inputless = inputless;
  }

  /**
   * Loads a checked artifact: an ONNX file, a TorchScript file, or a SavedModel folder.
   *
   * @param path the model file or folder, already checked by the node
   * @param signature its inputs and outputs (names and datatypes): an ONNX model without inputs, or
   *     with tensors DJL cannot carry, runs through ONNX Runtime's own API ({@link OrtOnnx})
   * @param maxElements most elements one request may carry in (outputs of a model run through ONNX
   *     Runtime's API may hold as many as a call's answer may: 16 times that)
   * @param intraOpThreads threads one call may use inside the engine
   */
  static EngineInstance load(
      String name,
      ModelFormat format,
      Path path,
      ModelSignature signature,
      int intraOpThreads,
      long maxElements)
      throws Exception {
    if (format == ModelFormat.ONNX && OrtOnnx.needed(signature)) {
      return OrtOnnx.load(path, signature, intraOpThreads, maxElements);
    }
    Model model = Model.newInstance(name, ModelLoader.engine(format));
    try {
      switch (format) {
        case ONNX -> {
          String threads = Integer.toString(intraOpThreads);
          model.load(path, null, Map.of("interOpNumThreads", "1", "intraOpNumThreads", threads));
        }
        case TORCHSCRIPT -> model.load(path.getParent(), path.getFileName().toString());
        case SAVED_MODEL -> model.load(path);
      }
    } catch (Exception | Error e) {
      model.close();
      throw e;
    }
    return new DjlEngine(
        model,
        signature.outputs().stream().map(TensorSpec::name).toList(),
        format,
        signature.inputs().isEmpty());
  }

  @Override
  public EngineSession newSession() {
    Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
    return new EngineSession() {
      @Override
      public List<Tensor> call(List<Tensor> inputs) throws TranslateException {
        try (NDManager manager = model.getNDManager().newSubManager()) {
          NDList in = new NDList(inputs.size());
          for (Tensor input : inputs) {
            in.add(TensorConversion.toNDArray(manager, input));
          }
          // DJL's predictor answers nothing for no inputs: a TorchScript forward() without
          // arguments is called through the module (its block reads the first input).
          NDList out = inputless ? forwardWithoutInputs(manager) : predictor.predict(in);
          List<Tensor> outputs = new ArrayList<>(out.size());
          for (int i = 0; i < out.size(); i++) {
            String name = i < outputNames.size() ? outputNames.get(i) : "output_" + i;
            outputs.add(TensorConversion.fromNDArray(name, out.get(i)));
          }
          return outputs;
        } catch (RuntimeException e) {
          // DJL's conversions throw plain exceptions ("Unsupported DataType"): the call failed
          throw new TranslateException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
      }

      @Override
      public void close() {
        predictor.close();
      }
    };
  }

  private NDList forwardWithoutInputs(NDManager manager) {
    if (format != ModelFormat.TORCHSCRIPT) {
      // refused before loading (ModelLoader): DJL's TensorFlow block reads its first input
      throw new IllegalStateException(format + " model without inputs");
    }
    try (IValue result = IValueUtils.forward((PtSymbolBlock) model.getBlock(), new IValue[0])) {
      return result.toNDList((PtNDManager) manager);
    }
  }

  @Override
  public void close() {
    model.close();
  }
}
