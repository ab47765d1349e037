package dev.modelhub.serving.internal;

import dev.modelhub.common.SandboxedJvm;
import dev.modelhub.serving.ServingProperties;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts engine hosts as {@link SandboxedJvm}s: {@code host.heap}, the serial collector and the
 * client compiler (small and quick to start), the engine cache writable (engines extract their
 * natives there once), and the spec in a file of the host's folder rather than on the command line.
 */
final class HostLauncher {

  private static final Logger log = LoggerFactory.getLogger(HostLauncher.class);

  private final ServingProperties properties;
  private final SandboxedJvm jvm;

  HostLauncher(ServingProperties properties) {
    this.properties = properties;
    this.jvm =
        new SandboxedJvm(
            new SandboxedJvm.Settings(
                properties.host().maxOpenFiles(),
                properties.host().sandbox(),
                List.of(properties.engineCacheDir()),
                List.of(properties.cache().dir()),
                Map.of(
                    "PATH", "/usr/local/bin:/usr/bin:/bin",
                    "LANG", "C.UTF-8",
                    "ORT_DISABLE_TELEMETRY", "1",
                    "TF_CPP_MIN_LOG_LEVEL", "3",
                    "OMP_NUM_THREADS", Integer.toString(properties.intraOpThreads()),
                    "MALLOC_ARENA_MAX", "2")));
    log.info(
        "Engine hosts: isolation {}; restricted by {}{}",
        properties.isolation().name().toLowerCase(),
        jvm.restrictions(),
        jvm.sandboxed() || !properties.host().sandbox()
            ? ""
            : " (no sandbox: bubblewrap is not installed or not usable here)");
  }

  /** Starts a host that may read {@code readable} (the models it will be asked to load). */
  Process start(HostSpec spec, Path workDir, List<Path> readable) throws IOException {
    Path specFile = workDir.resolve("host.properties");
    spec.write(specFile);
    return jvm.start(
        EngineHost.class.getName(),
        workDir,
        properties.host().heap().toMegabytes(),
        // Small and quick to start: the serial collector, returning heap it no longer needs,
        // the client compiler only, one compiler thread, small code cache and stacks.
        List.of(
            "-XX:+UseSerialGC",
            "-Xms16m",
            "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=30",
            "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1",
            "-XX:ReservedCodeCacheSize=32m",
            "-Xss512k"),
        List.of(specFile.toString()),
        readable);
  }
}
