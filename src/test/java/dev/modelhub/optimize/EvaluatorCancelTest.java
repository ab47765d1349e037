package dev.modelhub.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.optimize.internal.EvaluationData;
import dev.modelhub.optimize.internal.Evaluator;
import dev.modelhub.optimize.internal.JobContext;
import dev.modelhub.support.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancelling a job ends the ONNX Runtime call it is in, not only the next one: a model whose one
 * call takes about fifteen seconds stops within a second of the request.
 */
class EvaluatorCancelTest {

  @TempDir Path dir;

  @Test
  void stopping_a_job_terminates_the_engine_call_it_is_in() throws Exception {
    Path slow = Files.write(dir.resolve("slow.onnx"), OnnxModels.loop(30_000_000).toByteArray());
    EvaluationData data =
        EvaluationData.generated(
            new ModelSignature(
                List.of(new TensorSpec("x", Datatype.FP32, List.of(1L))),
                List.of(new TensorSpec("y", Datatype.FP32, List.of(1L)))),
            1,
            0);
    JobContext context = new JobContext(null);
    CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS)
        .execute(() -> context.stop(JobContext.Stop.CANCELLED));
    long start = System.nanoTime();
    assertThatThrownBy(() -> new Evaluator(1).accuracy(slow, data, context))
        .isInstanceOf(Evaluator.CancelledException.class);
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
  }
}
