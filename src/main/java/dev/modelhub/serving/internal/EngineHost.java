package dev.modelhub.serving.internal;

import ai.djl.translate.TranslateException;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.modelhub.common.DaemonThreads;
import dev.modelhub.common.NativeEnvironment;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelFormat;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.LoggerFactory;

/**
 * The engine host: a child process that runs engine calls for the node, so that a crash in native
 * code ends this process and not the node. Started by {@link HostEngine} from the node's own jar
 * with a clean environment; it reads its {@link HostSpec} from the file named by its argument,
 * listens on a Unix domain socket and prints {@code READY} after the {@value #MARKER} prefix. It
 * holds one model version ({@code isolation: model}) or every version of one engine ({@code
 * engine}), loaded and unloaded by the node. Each connection starts with an operation and a model
 * key: {@link #LOAD} or {@link #UNLOAD} answer once, {@link #OPEN} makes the connection a session
 * of that model (calls in, answers out) until the node closes it. Session threads are named after
 * their model, so the JVM's crash report names the model whose call faulted. It exits when the node
 * closes its standard input (the node ended).
 */
public final class EngineHost {

  static final String MARKER = "modelhub-host: ";

  static final byte OPEN = 1;
  static final byte LOAD = 2;
  static final byte UNLOAD = 3;

  /** The name prefix of session threads: the node reads the model's key after it. */
  static final String SESSION_THREAD = "host-session ";

  private static final Map<String, Hosted> models = new ConcurrentHashMap<>();

  private EngineHost() {}

  public static void main(String[] args) throws Exception {
    quietLogging();
    watchParent(System.in);
    HostSpec spec = HostSpec.read(Path.of(args[0]));
    NativeEnvironment.prepare();
    EngineBootstrap.prepare(spec.engineCacheDir(), spec.intraOpThreads());
    Files.deleteIfExists(spec.socket());
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(spec.socket()));
    announce("READY");
    while (true) {
      SocketChannel connection = server.accept();
      DaemonThreads.start("host-connection", () -> serve(connection, spec));
    }
  }

  private static void serve(SocketChannel connection, HostSpec spec) {
    try (connection) {
      DataInputStream in =
          new DataInputStream(new BufferedInputStream(Channels.newInputStream(connection), 65536));
      DataOutputStream out =
          new DataOutputStream(
              new BufferedOutputStream(Channels.newOutputStream(connection), 65536));
      byte operation = in.readByte();
      String key = in.readUTF();
      switch (operation) {
        case LOAD -> load(in, out, key, spec);
        case UNLOAD -> {
          Hosted hosted = models.remove(key);
          if (hosted != null) {
            hosted.retire();
          }
          out.writeByte(TensorFrames.OK);
        }
        case OPEN -> {
          Hosted hosted = models.get(key);
          if (hosted == null || !hosted.acquire()) {
            TensorFrames.writeMessage(out, TensorFrames.REFUSED, key + " is not loaded here");
          } else {
            try {
              Thread.currentThread().setName(SESSION_THREAD + key);
              out.writeByte(TensorFrames.OK);
              out.flush();
              session(in, out, hosted.engine, spec.maxElements());
            } finally {
              hosted.release();
            }
          }
        }
        default -> throw new IOException("unknown operation " + operation);
      }
      out.flush();
    } catch (EOFException closed) {
      // the node closed the connection
    } catch (IOException | RuntimeException e) {
      LoggerFactory.getLogger(EngineHost.class).warn("connection ended: {}", e.toString());
    }
  }

  /**
   * Writes tensor names and datatypes (what a host needs of a signature) for {@link #readSpecs}.
   */
  static void writeSpecs(DataOutputStream out, List<TensorSpec> specs) throws IOException {
    out.writeInt(specs.size());
    for (TensorSpec spec : specs) {
      out.writeUTF(spec.name());
      out.writeUTF(spec.datatype().name());
    }
  }

  private static List<TensorSpec> readSpecs(DataInputStream in) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > 1024) {
      throw new IOException("bad load: " + count + " tensors");
    }
    List<TensorSpec> specs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      specs.add(new TensorSpec(in.readUTF(), Datatype.valueOf(in.readUTF()), null));
    }
    return specs;
  }

  /** Loads a checked artifact under {@code key} (once: a second load of the key is a no-op). */
  private static void load(DataInputStream in, DataOutputStream out, String key, HostSpec spec)
      throws IOException {
    ModelFormat format = ModelFormat.valueOf(in.readUTF());
    Path path = Path.of(in.readUTF());
    ModelSignature signature = new ModelSignature(readSpecs(in), readSpecs(in));
    Thread.currentThread().setName(SESSION_THREAD + key);
    try {
      synchronized (models) {
        if (!models.containsKey(key)) {
          EngineInstance engine =
              DjlEngine.load(
                  key, format, path, signature, spec.intraOpThreads(), spec.maxElements());
          models.put(key, new Hosted(engine));
        }
      }
      out.writeByte(TensorFrames.OK);
    } catch (Exception | Error e) {
      // The engine's own words (an unsupported opset, a missing kernel), not DJL's wrapper's.
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      TensorFrames.writeMessage(
          out, TensorFrames.REFUSED, root.getClass().getSimpleName() + ": " + root.getMessage());
    }
  }

  /** Calls in, answers out, until the node closes the connection. */
  private static void session(
      DataInputStream in, DataOutputStream out, EngineInstance engine, long maxElements)
      throws IOException {
    try (EngineSession session = engine.newSession()) {
      while (true) {
        List<Tensor> inputs = TensorFrames.read(in, maxElements);
        try {
          List<Tensor> outputs = session.call(inputs);
          out.writeByte(TensorFrames.OK);
          TensorFrames.write(out, outputs);
        } catch (TranslateException | RuntimeException e) {
          // Whatever the engine or its binding throws is the call's failure, never the host's:
          // a dropped connection would read as a crash.
          TensorFrames.writeMessage(
              out, TensorFrames.REFUSED, e.getMessage() == null ? e.toString() : e.getMessage());
        }
        out.flush();
      }
    }
  }

  /** A loaded model: freed once it is unloaded and its last session has ended, never under one. */
  private static final class Hosted {
    final EngineInstance engine;
    private int sessions;
    private boolean retired;

    Hosted(EngineInstance engine) {
      this.engine = engine;
    }

    synchronized boolean acquire() {
      if (retired) {
        return false;
      }
      sessions++;
      return true;
    }

    synchronized void release() {
      if (--sessions == 0 && retired) {
        engine.close();
      }
    }

    synchronized void retire() {
      retired = true;
      if (sessions == 0) {
        engine.close();
      }
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
