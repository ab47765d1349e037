package dev.modelhub.optimize;

import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.optimize.internal.*;
import dev.modelhub.support.Fixtures;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PassesTest {
  @TempDir Path temp;

  @Test
  void scratch() throws Exception {
    Path parent = Files.write(temp.resolve("parent.onnx"), Fixtures.bytes("digits_mlp.onnx"));
    ModelSignature sig =
        new ModelSignature(
            List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L))),
            List.of(new TensorSpec("logits", "FP32", List.of(-1L, 10L))));
    CsvDataset csv;
    try (InputStream in = getClass().getResourceAsStream("/data/digits-test.csv")) {
      csv = CsvDataset.parse(in, 100000);
    }
    EvaluationData data = csv.toEvaluationData(sig, "test");
    for (Pass pass :
        List.of(
            new QuantizeDynamicPass(),
            new QuantizeWeightsPass(),
            new ConvertFp16Pass(),
            new PruneMagnitudePass(),
            new LowRankPass())) {
      OnnxGraph g = OnnxGraph.read(parent);
      Map<String, Object> params = pass.normalize(Map.of());
      Map<String, Object> details = pass.apply(g, params, Set.of());
      Path out = g.write(temp.resolve(pass.name()));
      var c = new Evaluator(100).compare(parent, out, data, () -> false);
      System.out.printf(
          "SCRATCH %-22s size %.3f acc %.4f -> %.4f agree %s p50 %.3f -> %.3f  %s%n",
          pass.name(),
          (double) Files.size(out) / Files.size(parent),
          c.parent().accuracy(),
          c.variant().accuracy(),
          c.top1Agreement(),
          c.parent().latencyP50Ms(),
          c.variant().latencyP50Ms(),
          details.toString().substring(0, Math.min(120, details.toString().length())));
    }
  }
}
