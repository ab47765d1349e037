package dev.modelhub.format.internal;

import dev.modelhub.format.InvalidArtifactException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * Refuses SavedModels whose graph or function library would touch files, the network or other
 * processes when TensorFlow runs it. {@link #REFUSED} is the one list of such operations, each with
 * its reason. The checkpoint operations ({@link #SAVER_OPS}) are what TensorFlow itself uses to
 * restore variables when it loads a model, so they are accepted in the saver's own nodes and
 * functions (named by the MetaGraphDef's {@code saver_def}) and nowhere else, and nothing outside
 * the saver may reach into it.
 */
final class SavedModelGuard {

  /** Operations no served model may contain, and why. */
  static final Map<String, String> REFUSED =
      Map.ofEntries(
          Map.entry("ReadFile", "reads any file"),
          Map.entry("WriteFile", "writes any file"),
          Map.entry("MatchingFiles", "lists the file system"),
          Map.entry("FileSystemSetConfiguration", "reconfigures file systems"),
          Map.entry("ImmutableConst", "memory-maps a file named in the graph"),
          Map.entry("InitializeTableFromTextFile", "reads a file named in the graph"),
          Map.entry("InitializeTableFromTextFileV2", "reads a file named in the graph"),
          Map.entry("LoadAndRemapMatrix", "reads a checkpoint named in the graph"),
          Map.entry("GenerateVocabRemapping", "reads vocabulary files named in the graph"),
          Map.entry("TextLineReader", "opens files"),
          Map.entry("TextLineReaderV2", "opens files"),
          Map.entry("TFRecordReader", "opens files"),
          Map.entry("TFRecordReaderV2", "opens files"),
          Map.entry("FixedLengthRecordReader", "opens files"),
          Map.entry("FixedLengthRecordReaderV2", "opens files"),
          Map.entry("WholeFileReader", "opens files"),
          Map.entry("WholeFileReaderV2", "opens files"),
          Map.entry("LMDBReader", "opens a database file"),
          Map.entry("TextLineDataset", "opens files"),
          Map.entry("TFRecordDataset", "opens files"),
          Map.entry("TFRecordDatasetV2", "opens files"),
          Map.entry("FixedLengthRecordDataset", "opens files"),
          Map.entry("FixedLengthRecordDatasetV2", "opens files"),
          Map.entry("CSVDataset", "opens files"),
          Map.entry("CSVDatasetV2", "opens files"),
          Map.entry("ExperimentalCSVDataset", "opens files"),
          Map.entry("LMDBDataset", "opens a database file"),
          Map.entry("ExperimentalLMDBDataset", "opens a database file"),
          Map.entry("SqlDataset", "connects to a database"),
          Map.entry("ExperimentalSqlDataset", "connects to a database"),
          Map.entry("MatchingFilesDataset", "lists the file system"),
          Map.entry("ExperimentalMatchingFilesDataset", "lists the file system"),
          Map.entry("DatasetToTFRecord", "writes files"),
          Map.entry("ExperimentalDatasetToTFRecord", "writes files"),
          Map.entry("SaveDataset", "writes files"),
          Map.entry("SaveDatasetV2", "writes files"),
          Map.entry("LoadDataset", "reads files"),
          Map.entry("SnapshotDataset", "writes and reads files"),
          Map.entry("SnapshotDatasetV2", "writes and reads files"),
          Map.entry("SnapshotDatasetReader", "reads files"),
          Map.entry("SnapshotNestedDatasetReader", "reads files"),
          Map.entry("DistributedSave", "writes files"),
          Map.entry("CacheDataset", "writes cache files"),
          Map.entry("CacheDatasetV2", "writes cache files"),
          Map.entry("CreateSummaryFileWriter", "writes event files"),
          Map.entry("CreateSummaryDbWriter", "writes a database file"),
          Map.entry("WriteSummary", "writes event files"),
          Map.entry("WriteRawProtoSummary", "writes event files"),
          Map.entry("WriteScalarSummary", "writes event files"),
          Map.entry("WriteHistogramSummary", "writes event files"),
          Map.entry("WriteImageSummary", "writes event files"),
          Map.entry("WriteAudioSummary", "writes event files"),
          Map.entry("WriteGraphSummary", "writes event files"),
          Map.entry("ImportEvent", "writes event files"),
          Map.entry("DebugIdentity", "dumps tensors to files or gRPC endpoints"),
          Map.entry("DebugIdentityV2", "dumps tensors to files"),
          Map.entry("DebugIdentityV3", "dumps tensors to files or gRPC endpoints"),
          Map.entry("DebugNanCount", "dumps to files or gRPC endpoints"),
          Map.entry("DebugNumericSummary", "dumps to files or gRPC endpoints"),
          Map.entry("DebugNumericSummaryV2", "dumps to files or gRPC endpoints"),
          Map.entry("Rpc", "calls a network service"),
          Map.entry("TryRpc", "calls a network service"),
          Map.entry("RpcCall", "calls a network service"),
          Map.entry("RpcClient", "calls a network service"),
          Map.entry("RpcServer", "opens a network service"),
          Map.entry("RpcServerStart", "opens a network service"),
          Map.entry("RpcServerRegister", "opens a network service"),
          Map.entry("GcsConfigureCredentials", "configures cloud storage credentials"),
          Map.entry("GcsConfigureBlockCache", "configures cloud storage access"),
          Map.entry("BigQueryReader", "reads from a network service"),
          Map.entry("CreateBigQueryReader", "reads from a network service"),
          Map.entry("KafkaDataset", "reads from a network service"),
          Map.entry("PyFunc", "runs Python code in another interpreter"),
          Map.entry("PyFuncStateless", "runs Python code in another interpreter"),
          Map.entry("EagerPyFunc", "runs Python code in another interpreter"));

  /** Checkpoint operations: allowed only where TensorFlow's saver restores variables. */
  static final Set<String> SAVER_OPS =
      Set.of(
          "Save",
          "SaveV2",
          "SaveSlices",
          "Restore",
          "RestoreV2",
          "RestoreSlice",
          "MergeV2Checkpoints");

  private SavedModelGuard() {}

  static void check(MetaGraphDef meta) {
    Map<String, FunctionDef> functions = new java.util.HashMap<>();
    for (FunctionDef function : meta.getGraphDef().getLibrary().getFunctionList()) {
      functions.put(function.getSignature().getName(), function);
    }
    Set<String> saverNodes = saverNodes(meta);
    Set<String> saverFunctions = saverFunctions(meta, saverNodes, functions);

    for (NodeDef node : meta.getGraphDef().getNodeList()) {
      boolean saver = saverNodes.contains(node.getName());
      checkNode(node, saver, "node '" + node.getName() + "'");
      if (!saver) {
        for (String input : node.getInputList()) {
          if (saverNodes.contains(nodeName(input))) {
            throw refused("node '" + node.getName() + "' reads from the saver's node " + input);
          }
        }
        forEachCallee(
            node,
            functions,
            callee -> {
              if (saverFunctions.contains(callee)) {
                throw refused(
                    "node '" + node.getName() + "' calls the saver's function '" + callee + "'");
              }
            });
      }
    }
    for (FunctionDef function : functions.values()) {
      String name = function.getSignature().getName();
      boolean saver = saverFunctions.contains(name);
      for (NodeDef node : function.getNodeDefList()) {
        checkNode(node, saver, "node '" + node.getName() + "' of function '" + name + "'");
        if (!saver) {
          forEachCallee(
              node,
              functions,
              callee -> {
                if (saverFunctions.contains(callee)) {
                  throw refused(
                      "function '" + name + "' calls the saver's function '" + callee + "'");
                }
              });
        }
      }
    }
    for (SignatureDef signature : meta.getSignatureDefMap().values()) {
      for (TensorInfo tensor : signature.getOutputsMap().values()) {
        if (saverNodes.contains(nodeName(tensor.getName()))) {
          throw refused("a signature reads the saver's tensor " + tensor.getName());
        }
      }
    }
  }

  private static void checkNode(NodeDef node, boolean saver, String where) {
    String op = node.getOp();
    String reason = REFUSED.get(op);
    if (reason == null && op.startsWith("Collective")) {
      reason = "talks to other machines";
    }
    if (reason == null && SAVER_OPS.contains(op) && !saver) {
      reason = "reads or writes checkpoint files outside the saver TensorFlow restores with";
    }
    if (reason == null && op.equals("PrintV2")) {
      String stream =
          node.getAttrOrDefault("output_stream", AttrValue.getDefaultInstance())
              .getS()
              .toStringUtf8();
      if (stream.startsWith("file://")) {
        reason = "prints to a file";
      }
    }
    if (reason == null && (op.equals("DecodeProtoV2") || op.equals("EncodeProto"))) {
      String source =
          node.getAttrOrDefault("descriptor_source", AttrValue.getDefaultInstance())
              .getS()
              .toStringUtf8();
      if (!source.isEmpty() && !source.equals("local://") && !source.startsWith("bytes://")) {
        reason = "reads a descriptor file";
      }
    }
    if (reason != null) {
      throw refused(where + " is a " + op + ", which " + reason);
    }
  }

  /**
   * The graph nodes of the saver: in TensorFlow 1 the name scope of {@code restore_op_name} ({@code
   * save/}), in TensorFlow 2 the two call nodes {@code saver_def} names.
   */
  private static Set<String> saverNodes(MetaGraphDef meta) {
    Set<String> nodes = new HashSet<>();
    if (!meta.hasSaverDef()) {
      return nodes;
    }
    SaverDef saver = meta.getSaverDef();
    String restore = nodeName(saver.getRestoreOpName());
    String save = nodeName(saver.getSaveTensorName());
    int scope = restore.lastIndexOf('/');
    for (NodeDef node : meta.getGraphDef().getNodeList()) {
      String name = node.getName();
      if (name.equals(restore)
          || name.equals(save)
          || (scope > 0 && name.startsWith(restore.substring(0, scope + 1)))) {
        nodes.add(name);
      }
    }
    return nodes;
  }

  /** Functions reachable only from the saver's nodes (and from each other). */
  private static Set<String> saverFunctions(
      MetaGraphDef meta, Set<String> saverNodes, Map<String, FunctionDef> functions) {
    Set<String> reached = new HashSet<>();
    Deque<String> pending = new ArrayDeque<>();
    for (NodeDef node : meta.getGraphDef().getNodeList()) {
      if (saverNodes.contains(node.getName())) {
        forEachCallee(node, functions, pending::add);
      }
    }
    while (!pending.isEmpty()) {
      String name = pending.pop();
      if (reached.add(name) && functions.containsKey(name)) {
        for (NodeDef node : functions.get(name).getNodeDefList()) {
          forEachCallee(node, functions, pending::add);
        }
      }
    }
    return reached;
  }

  /** The functions a node calls: by its op's name, or through function-valued attributes. */
  private static void forEachCallee(
      NodeDef node, Map<String, FunctionDef> functions, Consumer<String> callee) {
    if (functions.containsKey(node.getOp())) {
      callee.accept(node.getOp());
    }
    for (AttrValue value : node.getAttrMap().values()) {
      if (value.hasFunc()) {
        callee.accept(value.getFunc().getName());
      }
      if (value.hasList()) {
        value.getList().getFuncList().forEach(f -> callee.accept(f.getName()));
      }
    }
  }

  /** {@code ^node}, {@code node:0}, {@code node:output:0} → {@code node}. */
  private static String nodeName(String input) {
    String name = input.startsWith("^") ? input.substring(1) : input;
    int colon = name.indexOf(':');
    return colon < 0 ? name : name.substring(0, colon);
  }

  private static InvalidArtifactException refused(String why) {
    return new InvalidArtifactException(
        "The SavedModel is refused: "
            + why
            + ". Models run inside the server, so operations that touch files, the network or"
            + " other processes are not allowed.");
  }

  /** For tests and docs: every refused operation name. */
  static List<String> refusedOperations() {
    return REFUSED.keySet().stream().sorted().toList();
  }
}
