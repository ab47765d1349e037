package dev.modelhub.format.internal;

import dev.modelhub.format.InvalidArtifactException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NameAttrList;
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
          Map.entry("EagerPyFunc", "runs Python code in another interpreter"),
          Map.entry("Skipgram", "reads the file named in its attributes"),
          Map.entry(
              "FixedUnigramCandidateSampler", "reads the vocabulary file named in its attributes"),
          Map.entry("RecordInput", "reads the files its pattern names"),
          Map.entry("RegisterDataset", "talks to a tf.data service"),
          Map.entry("RegisterDatasetV2", "talks to a tf.data service"),
          Map.entry("ListSnapshotChunksDataset", "reads snapshot files"),
          Map.entry("SnapshotChunkDataset", "reads snapshot files"),
          Map.entry("RemoteCall", "runs a function on another device or machine"),
          Map.entry("ThreadPoolHandle", "starts threads"),
          Map.entry("ExperimentalThreadPoolHandle", "starts threads"));

  /** Families of operations refused by name: readers, network services, debuggers. */
  static final Map<String, String> REFUSED_PREFIXES =
      Map.of(
          "Collective", "talks to other machines",
          "DataService", "talks to a tf.data service",
          "Rpc", "calls a network service",
          "Gcs", "configures cloud storage access",
          "BigQuery", "reads from a network service",
          "Kafka", "reads from a network service",
          "Debug", "dumps tensors to files or network endpoints",
          "Snapshot", "writes and reads snapshot files");

  /** Attributes that name files: a function may not take them from its caller. */
  static final Set<String> FILE_ATTRIBUTES =
      Set.of("filename", "vocab_file", "file_pattern", "output_stream", "descriptor_source");

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

  /** Checkpoint operations that read: the only ones allowed where the model is loaded. */
  static final Set<String> RESTORE_OPS = Set.of("Restore", "RestoreV2", "RestoreSlice");

  private final MetaGraphDef meta;
  private final Map<String, NodeDef> nodes = new HashMap<>();
  private final Map<String, FunctionDef> functions = new HashMap<>();
  private final String filenameNode;
  private final Set<String> restoreNodes;
  private final Set<String> saveNodes;
  private final Set<String> restoreFunctions;
  private final Set<String> saverFunctions;

  private SavedModelGuard(MetaGraphDef meta) {
    this.meta = meta;
    for (NodeDef node : meta.getGraphDef().getNodeList()) {
      if (nodes.put(node.getName(), node) != null) {
        throw refused("node name '" + shown(node.getName()) + "' is used twice");
      }
    }
    for (FunctionDef function : meta.getGraphDef().getLibrary().getFunctionList()) {
      String name = function.getSignature().getName();
      if (functions.put(name, function) != null) {
        throw refused("function name '" + shown(name) + "' is used twice");
      }
    }
    SaverDef saver = meta.hasSaverDef() ? meta.getSaverDef() : SaverDef.getDefaultInstance();
    this.filenameNode = nodeName(saver.getFilenameTensorName());
    // The restore op runs when TensorFlow loads the model; the save op never runs in serving.
    this.restoreNodes = upstream(nodeName(saver.getRestoreOpName()), Set.of());
    this.saveNodes = upstream(nodeName(saver.getSaveTensorName()), restoreNodes);
    this.restoreFunctions = callees(restoreNodes);
    Set<String> saverNodes = new HashSet<>(restoreNodes);
    saverNodes.addAll(saveNodes);
    this.saverFunctions = callees(saverNodes);
  }

  static void check(MetaGraphDef meta) {
    new SavedModelGuard(meta).check();
  }

  private void check() {
    for (NodeDef node : meta.getGraphDef().getNodeList()) {
      String where = "node '" + shown(node.getName()) + "'";
      boolean restore = restoreNodes.contains(node.getName());
      boolean saver = restore || saveNodes.contains(node.getName());
      checkOperation(node, saver, restore, where);
      if (restore && RESTORE_OPS.contains(node.getOp())) {
        checkReadsOwnCheckpoint(node, filenameNode, where);
      }
      if (!saver) {
        for (String input : node.getInputList()) {
          if (restoreNodes.contains(nodeName(input)) || saveNodes.contains(nodeName(input))) {
            throw refused(where + " reads from the saver's node " + shown(input));
          }
        }
        forEachCallee(node, callee -> refuseSaverCallee(where, callee));
      }
    }
    for (FunctionDef function : functions.values()) {
      String name = function.getSignature().getName();
      boolean restore = restoreFunctions.contains(name);
      boolean saver = saverFunctions.contains(name);
      String firstArgument =
          function.getSignature().getInputArgCount() > 0
              ? function.getSignature().getInputArg(0).getName()
              : null;
      for (NodeDef node : function.getNodeDefList()) {
        String where = "node '" + shown(node.getName()) + "' of function '" + shown(name) + "'";
        checkOperation(node, saver, restore, where);
        checkNoFileFromCaller(node, where);
        if (restore && RESTORE_OPS.contains(node.getOp())) {
          checkReadsOwnCheckpoint(node, firstArgument, where);
        }
        if (!saver) {
          forEachCallee(node, callee -> refuseSaverCallee(where, callee));
        }
      }
    }
    for (SignatureDef signature : meta.getSignatureDefMap().values()) {
      for (TensorInfo tensor : signature.getOutputsMap().values()) {
        String node = nodeName(tensor.getName());
        if (restoreNodes.contains(node) || saveNodes.contains(node)) {
          throw refused("a signature reads the saver's tensor " + shown(tensor.getName()));
        }
      }
    }
  }

  private void refuseSaverCallee(String where, String callee) {
    if (saverFunctions.contains(callee)) {
      throw refused(where + " calls the saver's function '" + shown(callee) + "'");
    }
  }

  private static void checkOperation(NodeDef node, boolean saver, boolean restore, String where) {
    String op = node.getOp();
    String reason = REFUSED.get(op);
    if (reason == null) {
      reason =
          REFUSED_PREFIXES.entrySet().stream()
              .filter(e -> op.startsWith(e.getKey()))
              .map(Map.Entry::getValue)
              .findFirst()
              .orElse(null);
    }
    if (reason == null && (op.endsWith("Reader") || op.endsWith("ReaderV2"))) {
      reason = "opens files";
    }
    if (reason == null && SAVER_OPS.contains(op) && !saver) {
      reason = "reads or writes checkpoint files outside the saver TensorFlow restores with";
    }
    if (reason == null && SAVER_OPS.contains(op) && restore && !RESTORE_OPS.contains(op)) {
      reason = "writes files while the model loads";
    }
    if (reason == null
        && op.equals("PrintV2")
        && string(node, "output_stream").startsWith("file://")) {
      reason = "prints to a file";
    }
    if (reason == null && (op.equals("DecodeProtoV2") || op.equals("EncodeProto"))) {
      String source = string(node, "descriptor_source");
      if (!source.isEmpty() && !source.equals("local://") && !source.startsWith("bytes://")) {
        reason = "reads a descriptor file";
      }
    }
    if (reason != null) {
      throw refused(where + " is a " + shown(op) + ", which " + reason);
    }
  }

  /** A function may not take a file name attribute from its caller (a placeholder). */
  private static void checkNoFileFromCaller(NodeDef node, String where) {
    node.getAttrMap()
        .forEach(
            (name, value) -> {
              if (FILE_ATTRIBUTES.contains(name) && !value.getPlaceholder().isEmpty()) {
                throw refused(where + " takes its '" + name + "' from its caller");
              }
            });
  }

  /** A restore reads only the checkpoint TensorFlow names: its prefix is that file name, as is. */
  private static void checkReadsOwnCheckpoint(NodeDef restore, String filename, String where) {
    String prefix = restore.getInputCount() > 0 ? nodeName(restore.getInput(0)) : "";
    if (filename == null || filename.isEmpty() || !prefix.equals(filename)) {
      throw refused(where + " restores from a file other than the model's own checkpoint");
    }
  }

  /** The graph nodes {@code root} depends on (inputs and control inputs), itself included. */
  private Set<String> upstream(String root, Set<String> excluded) {
    Set<String> reached = new HashSet<>();
    Deque<String> pending = new ArrayDeque<>();
    if (!root.isEmpty()) {
      pending.add(root);
    }
    while (!pending.isEmpty()) {
      String name = pending.pop();
      NodeDef node = nodes.get(name);
      if (node != null && !excluded.contains(name) && reached.add(name)) {
        node.getInputList().forEach(input -> pending.add(nodeName(input)));
      }
    }
    return reached;
  }

  /** The functions the given graph nodes call, and those functions call, transitively. */
  private Set<String> callees(Set<String> from) {
    Set<String> reached = new HashSet<>();
    Deque<String> pending = new ArrayDeque<>();
    for (String name : from) {
      forEachCallee(nodes.get(name), pending::add);
    }
    while (!pending.isEmpty()) {
      String name = pending.pop();
      if (reached.add(name) && functions.containsKey(name)) {
        for (NodeDef node : functions.get(name).getNodeDefList()) {
          forEachCallee(node, pending::add);
        }
      }
    }
    return reached;
  }

  /**
   * The functions a node calls: by its op's name, or through function-valued attributes, at any
   * depth of nested attribute lists.
   */
  private void forEachCallee(NodeDef node, Consumer<String> callee) {
    if (functions.containsKey(node.getOp())) {
      callee.accept(node.getOp());
    }
    node.getAttrMap().values().forEach(value -> forEachFunction(value, callee, 0));
  }

  private static void forEachFunction(AttrValue value, Consumer<String> callee, int depth) {
    if (depth > 16) {
      throw refused("function attributes nested deeper than 16 levels");
    }
    if (value.hasFunc()) {
      callee.accept(value.getFunc().getName());
      value.getFunc().getAttrMap().values().forEach(v -> forEachFunction(v, callee, depth + 1));
    }
    if (value.hasList()) {
      for (NameAttrList function : value.getList().getFuncList()) {
        callee.accept(function.getName());
        function.getAttrMap().values().forEach(v -> forEachFunction(v, callee, depth + 1));
      }
    }
  }

  private static String string(NodeDef node, String attribute) {
    return node.getAttrOrDefault(attribute, AttrValue.getDefaultInstance()).getS().toStringUtf8();
  }

  /** {@code ^node}, {@code node:0}, {@code node:output:0} → {@code node}. */
  private static String nodeName(String input) {
    String name = input.startsWith("^") ? input.substring(1) : input;
    int colon = name.indexOf(':');
    return colon < 0 ? name : name.substring(0, colon);
  }

  /** A name from the file as errors repeat it: at most 100 characters. */
  private static String shown(String name) {
    return name.length() <= 100 ? name : name.substring(0, 97) + "…";
  }

  private static InvalidArtifactException refused(String why) {
    return new InvalidArtifactException(
        "The SavedModel is refused: "
            + why
            + ". Models run inside the server, so operations that touch files, the network or"
            + " other processes are not allowed.");
  }
}
