package dev.modelhub.serving.internal;

import dev.modelhub.common.SandboxedJvm;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * How an engine host runs and where it listens, handed over as a properties file in its working
 * folder rather than on the command line (which every process on the machine can read). The models
 * it holds are loaded over its socket.
 *
 * @param name what the host holds ("fraud-scorer v3", or "OnnxRuntime engine"), for logs
 * @param socket the Unix domain socket the host listens on
 * @param engineCacheDir where engine natives are extracted
 * @param intraOpThreads threads one call may use inside the engine
 * @param maxElements most elements one call may carry in
 */
record HostSpec(
    String name, Path socket, Path engineCacheDir, int intraOpThreads, long maxElements) {

  void write(Path file) throws IOException {
    Properties p = new Properties();
    p.setProperty("name", name);
    p.setProperty("socket", socket.toString());
    p.setProperty("engineCacheDir", engineCacheDir.toString());
    p.setProperty("intraOpThreads", Integer.toString(intraOpThreads));
    p.setProperty("maxElements", Long.toString(maxElements));
    StringWriter text = new StringWriter();
    p.store(text, null);
    SandboxedJvm.writeFresh(file, text.toString());
  }

  static HostSpec read(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    }
    return new HostSpec(
        p.getProperty("name"),
        Path.of(p.getProperty("socket")),
        Path.of(p.getProperty("engineCacheDir")),
        Integer.parseInt(p.getProperty("intraOpThreads")),
        Long.parseLong(p.getProperty("maxElements")));
  }
}
