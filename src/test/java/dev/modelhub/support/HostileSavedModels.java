package dev.modelhub.support;

import com.google.protobuf.ByteString;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.TensorInfo;

/**
 * SavedModels that would touch files, the network or other processes when run, next to the two
 * savers TensorFlow really writes (TF1's {@code save/} scope, TF2's traced save and restore
 * functions), which must stay acceptable.
 */
public final class HostileSavedModels {

  private HostileSavedModels() {}

  /** The classifier with one more graph node running {@code op} (with {@code attrs}). */
  public static SavedModel withNode(String op, Map<String, String> attrs) {
    NodeDef.Builder node = NodeDef.newBuilder().setName("evil").setOp(op).addInput("x");
    attrs.forEach((k, v) -> node.putAttr(k, string(v)));
    return edit(meta -> meta.getGraphDefBuilder().addNode(node));
  }

  /** The classifier with a library function running {@code op}, called from the graph. */
  public static SavedModel withFunction(String op) {
    return edit(
        meta -> {
          meta.getGraphDefBuilder()
              .setLibrary(
                  FunctionDefLibrary.newBuilder()
                      .addFunction(function("__inference_evil_7", node("inner", op))));
          meta.getGraphDefBuilder().addNode(call("StatefulPartitionedCall", "__inference_evil_7"));
        });
  }

  /** TF2's saver: traced save and restore functions, called from the two nodes saver_def names. */
  public static SavedModel tf2Saver() {
    return edit(HostileSavedModels::addTf2Saver);
  }

  /** TF1's saver: checkpoint ops under the {@code save/} scope. */
  public static SavedModel tf1Saver() {
    return edit(HostileSavedModels::addTf1Saver);
  }

  /** TF1's saver, with a serving node reading what the restore op produced. */
  public static SavedModel tf1SaverReadByServing() {
    return edit(
        meta -> {
          addTf1Saver(meta);
          meta.getGraphDefBuilder()
              .addNode(
                  NodeDef.newBuilder()
                      .setName("peek")
                      .setOp("Identity")
                      .addInput("save/RestoreV2"));
        });
  }

  /** TF1's saver, with a signature output on the restore op. */
  public static SavedModel tf1SaverInSignature() {
    return edit(
        meta -> {
          addTf1Saver(meta);
          meta.putSignatureDef(
              "leak",
              meta.getSignatureDefOrThrow("serving_default").toBuilder()
                  .putOutputs("file", TensorInfo.newBuilder().setName("save/RestoreV2:0").build())
                  .build());
        });
  }

  /** TF1's saver whose restore also writes: a SaveV2 the restore op waits for. */
  public static SavedModel tf1SaverWritingWhileRestoring() {
    return edit(
        meta -> {
          addTf1Saver(meta);
          NodeDef.Builder restoreAll =
              meta.getGraphDefBuilder().getNodeBuilderList().stream()
                  .filter(n -> n.getName().equals("save/restore_all"))
                  .findFirst()
                  .orElseThrow();
          restoreAll.addInput("^save/SaveV2");
        });
  }

  /** TF1's saver reading a checkpoint named by a constant of its own instead of the model's. */
  public static SavedModel tf1SaverRestoringAnotherFile() {
    return edit(
        meta -> {
          addTf1Saver(meta);
          meta.getGraphDefBuilder()
              .addNode(NodeDef.newBuilder().setName("save/Other").setOp("Const"))
              .addNode(
                  NodeDef.newBuilder()
                      .setName("save/RestoreOther")
                      .setOp("RestoreV2")
                      .addInput("save/Other"));
          meta.getGraphDefBuilder().getNodeBuilderList().stream()
              .filter(n -> n.getName().equals("save/restore_all"))
              .findFirst()
              .orElseThrow()
              .addInput("^save/RestoreOther");
        });
  }

  /** TF2's restore function reading a checkpoint it names itself. */
  public static SavedModel tf2SaverRestoringAnotherFile() {
    return edit(
        meta ->
            addTf2Saver(
                meta, node("path", "Const"), node("RestoreV2", "RestoreV2", "path:output:0")));
  }

  /** A function that prints to whatever stream its caller names. */
  public static SavedModel printToCallersFile() {
    return edit(
        meta -> {
          NodeDef print =
              NodeDef.newBuilder()
                  .setName("p")
                  .setOp("PrintV2")
                  .putAttr("output_stream", AttrValue.newBuilder().setPlaceholder("stream").build())
                  .build();
          meta.getGraphDefBuilder()
              .setLibrary(
                  FunctionDefLibrary.newBuilder()
                      .addFunction(function("__inference_print_3", print)));
          meta.getGraphDefBuilder().addNode(call("StatefulPartitionedCall", "__inference_print_3"));
        });
  }

  /** Two library functions of one name: only one would be checked if the other were ignored. */
  public static SavedModel duplicateFunctions() {
    return edit(
        meta ->
            meta.getGraphDefBuilder()
                .setLibrary(
                    FunctionDefLibrary.newBuilder()
                        .addFunction(function("__inference_f_4", node("a", "Identity")))
                        .addFunction(function("__inference_f_4", node("b", "ReadFile")))));
  }

  /** TF2's saver, with a serving node reaching the restore function through a nested attribute. */
  public static SavedModel tf2SaverCalledThroughNestedAttribute() {
    return edit(
        meta -> {
          addTf2Saver(meta);
          meta.getGraphDefBuilder()
              .addNode(
                  NodeDef.newBuilder()
                      .setName("outer")
                      .setOp("While")
                      .putAttr(
                          "body",
                          AttrValue.newBuilder()
                              .setFunc(
                                  NameAttrList.newBuilder()
                                      .setName("__inference_body_5")
                                      .putAttr(
                                          "inner",
                                          AttrValue.newBuilder()
                                              .setFunc(
                                                  NameAttrList.newBuilder()
                                                      .setName("__inference__traced_restore_2"))
                                              .build()))
                              .build()));
        });
  }

  /** TF2's saver, with a serving node calling the restore function with its own file name. */
  public static SavedModel tf2SaverCalledByServing() {
    return edit(
        meta -> {
          addTf2Saver(meta);
          meta.getGraphDefBuilder()
              .addNode(call("StatefulPartitionedCall_9", "__inference__traced_restore_2"));
        });
  }

  private static void addTf2Saver(MetaGraphDef.Builder meta) {
    addTf2Saver(meta, node("RestoreV2", "RestoreV2", "file_prefix"));
  }

  /** TF2's saver as TensorFlow writes it, with {@code restore} as the restore function's read. */
  private static void addTf2Saver(MetaGraphDef.Builder meta, NodeDef... restore) {
    meta.getGraphDefBuilder()
        .setLibrary(
            FunctionDefLibrary.newBuilder()
                .addFunction(
                    function(
                        "__inference__traced_save_1",
                        node("StringJoin", "StringJoin", "file_prefix"),
                        node("ShardedFilename", "ShardedFilename", "StringJoin:output:0"),
                        node("SaveV2", "SaveV2", "ShardedFilename:filename:0"),
                        node("MergeV2Checkpoints", "MergeV2Checkpoints", "file_prefix")))
                .addFunction(function("__inference__traced_restore_2", restore)));
    meta.getGraphDefBuilder()
        .addNode(NodeDef.newBuilder().setName("saver_filename").setOp("Placeholder"))
        .addNode(
            call("StatefulPartitionedCall_1", "__inference__traced_save_1").toBuilder()
                .addInput("saver_filename"))
        .addNode(
            call("StatefulPartitionedCall_2", "__inference__traced_restore_2").toBuilder()
                .addInput("saver_filename"));
    meta.setSaverDef(
        SaverDef.newBuilder()
            .setFilenameTensorName("saver_filename:0")
            .setSaveTensorName("StatefulPartitionedCall_1:0")
            .setRestoreOpName("StatefulPartitionedCall_2"));
  }

  private static void addTf1Saver(MetaGraphDef.Builder meta) {
    meta.getGraphDefBuilder()
        .addNode(NodeDef.newBuilder().setName("save/Const").setOp("Const"))
        .addNode(NodeDef.newBuilder().setName("save/SaveV2").setOp("SaveV2").addInput("save/Const"))
        .addNode(
            NodeDef.newBuilder()
                .setName("save/control_dependency")
                .setOp("Identity")
                .addInput("save/Const")
                .addInput("^save/SaveV2"))
        .addNode(
            NodeDef.newBuilder()
                .setName("save/RestoreV2")
                .setOp("RestoreV2")
                .addInput("save/Const"))
        .addNode(
            NodeDef.newBuilder()
                .setName("save/restore_all")
                .setOp("NoOp")
                .addInput("^save/RestoreV2"));
    meta.setSaverDef(
        SaverDef.newBuilder()
            .setFilenameTensorName("save/Const:0")
            .setSaveTensorName("save/control_dependency:0")
            .setRestoreOpName("save/restore_all"));
  }

  /** The SavedModel as a tar.gz, ready to upload. */
  public static byte[] archive(SavedModel model) {
    return Archives.tarGz(SavedModels.entries("model", model));
  }

  private static SavedModel edit(Consumer<MetaGraphDef.Builder> change) {
    SavedModel.Builder model = SavedModels.classifier(3, 8, 2).toBuilder();
    change.accept(model.getMetaGraphsBuilder(0));
    return model.build();
  }

  private static FunctionDef function(String name, NodeDef... nodes) {
    FunctionDef.Builder function =
        FunctionDef.newBuilder()
            .setSignature(
                OpDef.newBuilder()
                    .setName(name)
                    .addInputArg(OpDef.ArgDef.newBuilder().setName("file_prefix")));
    for (NodeDef node : nodes) {
      function.addNodeDef(node);
    }
    return function.build();
  }

  private static NodeDef node(String name, String op, String... inputs) {
    NodeDef.Builder node = NodeDef.newBuilder().setName(name).setOp(op);
    for (String input : inputs) {
      node.addInput(input);
    }
    return node.build();
  }

  private static NodeDef call(String name, String function) {
    return NodeDef.newBuilder()
        .setName(name)
        .setOp("StatefulPartitionedCall")
        .putAttr(
            "f",
            AttrValue.newBuilder().setFunc(NameAttrList.newBuilder().setName(function)).build())
        .build();
  }

  private static AttrValue string(String value) {
    return AttrValue.newBuilder().setS(ByteString.copyFromUtf8(value)).build();
  }

  /** Refused operations with the attributes that make them refused, for the corpus. */
  public static Map<String, Map<String, String>> refusedNodes() {
    Map<String, Map<String, String>> nodes = new LinkedHashMap<>();
    for (String op :
        new String[] {
          "ReadFile",
          "WriteFile",
          "MatchingFiles",
          "ImmutableConst",
          "InitializeTableFromTextFileV2",
          "TFRecordDataset",
          "CSVDatasetV2",
          "SqlDataset",
          "SaveDatasetV2",
          "CreateSummaryFileWriter",
          "DebugIdentityV2",
          "PyFunc",
          "EagerPyFunc",
          "RpcCall",
          "LoadAndRemapMatrix",
          "CollectiveReduceV2",
          "SaveV2",
          "RestoreV2",
          "MergeV2Checkpoints",
          "WholeFileReaderV2",
          "Skipgram",
          "RecordInput",
          "DataServiceDatasetV4",
          "RemoteCall",
          "ThreadPoolHandle",
          "SomeFutureReaderV2"
        }) {
      nodes.put(op, Map.of());
    }
    nodes.put("PrintV2", Map.of("output_stream", "file:///tmp/out.txt"));
    nodes.put("DecodeProtoV2", Map.of("descriptor_source", "/etc/descriptors.bin"));
    return nodes;
  }
}
