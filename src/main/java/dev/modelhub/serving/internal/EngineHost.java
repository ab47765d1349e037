package dev.modelhub.serving.internal;

import ai.djl.engine.EngineException;
import ai.djl.translate.TranslateException;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.modelhub.common.DaemonThreads;
import dev.modelhub.common.NativeEnvironment;
import dev.modelhub.serving.Tensor;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The engine host: a child process that loads one model version and runs its engine calls for the
 * node, so that a crash in native code ends this process and not the node. Started by {@link
 * HostEngine} from the node's own jar with a clean environment; it reads its {@link HostSpec} from
 * the file named by its argument, prints {@code READY} (or {@code FAILED <reason>}) after the
 * {@value #MARKER} prefix, and then answers calls on a Unix domain socket, one connection per
 * session. It exits when the node closes its standard input (the node ended).
 */
public final class EngineHost {

  static final String MARKER = "modelhub-host: ";

  private EngineHost() {}

  public static void main(String[] args) throws Exception {
    quietLogging();
    watchParent(System.in);
    HostSpec spec = HostSpec.read(Path.of(args[0]));
    NativeEnvironment.prepare();
    EngineBootstrap.prepare(spec.engineCacheDir(), spec.intraOpThreads());
    DjlEngine engine;
    try {
      engine =
          DjlEngine.load(
              spec.name(),
              spec.format(),
              spec.modelPath(),
              spec.signature(),
              spec.intraOpThreads());
    } catch (Throwable e) {
      announce("FAILED " + e.getClass().getSimpleName() + ": " + e.getMessage());
      Runtime.getRuntime().halt(3);
      return;
    }
    Files.deleteIfExists(spec.socket());
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(spec.socket()));
    announce("READY");
    while (true) {
      SocketChannel connection = server.accept();
      DaemonThreads.start("host-session", () -> serve(connection, engine, spec.maxElements()));
    }
  }

  /** One session: calls in, answers out, until the node closes the connection. */
  private static void serve(SocketChannel connection, DjlEngine engine, long maxElements) {
    try (connection;
        EngineSession session = engine.newSession()) {
      DataInputStream in =
          new DataInputStream(new BufferedInputStream(Channels.newInputStream(connection), 65536));
      DataOutputStream out =
          new DataOutputStream(
              new BufferedOutputStream(Channels.newOutputStream(connection), 65536));
      while (true) {
        List<Tensor> inputs;
        try {
          inputs = TensorFrames.read(in, maxElements);
        } catch (EOFException closed) {
          return;
        }
        try {
          List<Tensor> outputs = session.call(inputs);
          out.writeByte(TensorFrames.OK);
          TensorFrames.write(out, outputs);
        } catch (TranslateException | EngineException | IllegalArgumentException e) {
          TensorFrames.writeMessage(out, TensorFrames.REFUSED, e.getMessage());
        }
        out.flush();
      }
    } catch (IOException | RuntimeException e) {
      LoggerFactory.getLogger(EngineHost.class).warn("session ended: {}", e.toString());
    }
  }

  /** The node holds this process's standard input; when it ends, so does the host. */
  private static void watchParent(InputStream stdin) {
    DaemonThreads.start(
        "host-parent-watch",
        () -> {
          try {
            while (stdin.read() >= 0) {
              // nothing is sent; reading only notices the end
            }
          } catch (IOException e) {
            // the pipe broke: the node is gone
          }
          Runtime.getRuntime().halt(0);
        });
  }

  private static void announce(String line) {
    System.out.println(MARKER + line.replace('\n', ' '));
    System.out.flush();
  }

  /** Warnings and errors only: the node relays this process's output into its own log. */
  private static void quietLogging() {
    if (LoggerFactory.getLogger("ROOT") instanceof Logger root) {
      root.setLevel(Level.WARN);
    }
    // DJL warns at every start that this CPU build has no CUDA provider.
    if (LoggerFactory.getLogger("ai.djl") instanceof Logger djl) {
      djl.setLevel(Level.ERROR);
    }
  }
}
