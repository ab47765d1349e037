package dev.modelhub.serving.internal;

import dev.modelhub.common.SandboxedJvm;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What an engine host loads and where it listens, handed over as a properties file in its working
 * folder rather than on the command line (which every process on the machine can read).
 *
 * @param name the model and version, for logs
 * @param format the artifact's format
 * @param modelPath the checked model file or SavedModel folder
 * @param signature the version's signature (the host names outputs by it)
 * @param socket the Unix domain socket the host listens on
 * @param engineCacheDir where engine natives are extracted
 * @param intraOpThreads threads one call may use inside the engine
 * @param maxElements most elements one call may carry in
 */
record HostSpec(
    String name,
    ModelFormat format,
    Path modelPath,
    ModelSignature signature,
    Path socket,
    Path engineCacheDir,
    int intraOpThreads,
    long maxElements) {

  void write(Path file) throws IOException {
    Properties p = new Properties();
    p.setProperty("name", name);
    p.setProperty("format", format.name());
    p.setProperty("model", modelPath.toString());
    p.setProperty("socket", socket.toString());
    p.setProperty("engineCacheDir", engineCacheDir.toString());
    p.setProperty("intraOpThreads", Integer.toString(intraOpThreads));
    p.setProperty("maxElements", Long.toString(maxElements));
    List<TensorSpec> outputs = signature.outputs();
    p.setProperty("outputs", Integer.toString(outputs.size()));
    for (int i = 0; i < outputs.size(); i++) {
      p.setProperty("output." + i, outputs.get(i).name());
    }
    StringWriter text = new StringWriter();
    p.store(text, null);
    SandboxedJvm.writeFresh(file, text.toString());
  }

  static HostSpec read(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    }
    List<TensorSpec> outputs = new ArrayList<>();
    int count = Integer.parseInt(p.getProperty("outputs"));
    for (int i = 0; i < count; i++) {
      outputs.add(new TensorSpec(p.getProperty("output." + i), null, null));
    }
    return new HostSpec(
        p.getProperty("name"),
        ModelFormat.valueOf(p.getProperty("format")),
        Path.of(p.getProperty("model")),
        new ModelSignature(List.of(), outputs),
        Path.of(p.getProperty("socket")),
        Path.of(p.getProperty("engineCacheDir")),
        Integer.parseInt(p.getProperty("intraOpThreads")),
        Long.parseLong(p.getProperty("maxElements")));
  }
}
