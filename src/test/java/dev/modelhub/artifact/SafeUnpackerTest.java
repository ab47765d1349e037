package dev.modelhub.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelhub.support.Archives;
import dev.modelhub.support.TestProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

class SafeUnpackerTest {

  @TempDir Path temp;
  private Path sandbox;
  private Path target;
  private SafeUnpacker unpacker;

  @BeforeEach
  void setUp() throws IOException {
    // target lives two levels down so that "../" and "../../" escapes would land in the sandbox.
    sandbox = Files.createDirectories(temp.resolve("sandbox"));
    target = sandbox.resolve("work/target");
    unpacker = unpacker(DataSize.ofMegabytes(10), 100);
  }

  private SafeUnpacker unpacker(DataSize maxSize, int maxEntries) {
    return TestProperties.unpacker(temp.resolve("spool"), maxSize, maxEntries);
  }

  @Test
  void unpacks_zip_and_tar_gz_with_nested_folders() throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("model/", new byte[0]);
    entries.put("model/saved_model.pb", "pb".getBytes());
    entries.put("model/variables/variables.index", "index".getBytes());
    for (byte[] archive : List.of(Archives.zip(entries), Archives.tarGz(entries))) {
      Path out = temp.resolve("out-" + archive.length);
      UnpackedArchive unpacked = unpacker.unpack(write(archive), out);
      assertThat(unpacked.files())
          .containsExactly("model/saved_model.pb", "model/variables/variables.index");
      assertThat(out.resolve("model/variables/variables.index")).hasContent("index");
      assertThat(unpacked.totalBytes()).isEqualTo(7);
    }
  }

  @Test
  void zip_slip_entry_is_rejected_without_writing_outside_the_target() throws IOException {
    byte[] archive = Archives.zip(Map.of("../../evil.txt", "owned".getBytes()));

    assertThatThrownBy(() -> unpacker.unpack(write(archive), target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("'../../evil.txt'")
        .hasMessageContaining("'..'");

    assertNothingEscaped();
  }

  @Test
  void tar_entry_with_absolute_path_is_rejected() throws IOException {
    byte[] archive = Archives.tarGz(Map.of("/tmp/evil.txt", "owned".getBytes()));

    assertThatThrownBy(() -> unpacker.unpack(write(archive), target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("absolute path");
    assertNothingEscaped();
  }

  @Test
  void tar_symlink_entry_is_rejected_and_the_partial_output_removed() throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("model/saved_model.pb", "pb".getBytes());
    byte[] archive = Archives.tarGz(files, Map.of("model/passwd", "/etc/passwd"), Map.of());

    assertThatThrownBy(() -> unpacker.unpack(write(archive), target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("'model/passwd' is a symbolic link");
    assertThat(target).doesNotExist();
    assertNothingEscaped();
  }

  @Test
  void tar_hard_link_entry_is_rejected() throws IOException {
    byte[] archive =
        Archives.tarGz(Map.of("a.txt", "a".getBytes()), Map.of(), Map.of("b.txt", "/etc/shadow"));

    assertThatThrownBy(() -> unpacker.unpack(write(archive), target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("'b.txt' is a hard link");
    assertNothingEscaped();
  }

  @Test
  void zip_symlink_entry_is_rejected_when_listed_and_when_unpacked() throws IOException {
    Path archive = write(Archives.zipWithSymlink("model/link", "/etc/passwd"));

    assertThatThrownBy(() -> unpacker.listZip(archive))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> unpacker.unpack(archive, target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("symbolic link");
    assertNothingEscaped();
  }

  @Test
  void zip_bomb_is_stopped_at_the_unpacked_size_limit() throws IOException {
    // 50 MB of zeros compresses to ~50 KB; the limit is 10 MB of actually written bytes.
    byte[] bomb = Archives.zipBomb("zeros.bin", 50 * 1024 * 1024);
    assertThat(bomb.length).isLessThan(200 * 1024);

    assertThatThrownBy(() -> unpacker.unpack(write(bomb), target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("max-unpacked-size");
    assertThat(target).doesNotExist();
    assertNothingEscaped();
  }

  @Test
  void an_archive_unpacking_to_more_than_max_ratio_times_its_size_is_rejected() throws IOException {
    // 30 MB of zeros in ~30 KB: within the absolute 50 MB, over ten times the 1 MB floor.
    SafeUnpacker strict =
        new SafeUnpacker(
            new ArchiveProperties(DataSize.ofMegabytes(50), 100, 10, DataSize.ofMegabytes(1)),
            TestProperties.storage(temp.resolve("spool-ratio")));
    assertThatThrownBy(() -> strict.unpack(write(Archives.zipBomb("zeros.bin", 30 << 20)), target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("max-ratio");
    assertThat(target).doesNotExist();
  }

  @Test
  void archive_with_too_many_entries_is_rejected() throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      entries.put("f" + i, new byte[] {1});
    }
    SafeUnpacker strict = unpacker(DataSize.ofMegabytes(1), 4);

    assertThatThrownBy(() -> strict.unpack(write(Archives.zip(entries)), target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("holds 5 entries or more, more than 4");
  }

  @Test
  void truncated_archive_is_rejected_as_corrupt() throws IOException {
    byte[] archive = Archives.tarGz(Map.of("model/saved_model.pb", new byte[100_000]));
    byte[] truncated = Arrays.copyOf(archive, archive.length / 2);

    assertThatThrownBy(() -> unpacker.unpack(write(truncated), target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("truncated or corrupt");
    assertThat(target).doesNotExist();
  }

  @Test
  void duplicate_entries_are_rejected() throws IOException {
    Path archive = temp.resolve("dup.tar.gz");
    // "a.txt" and "./a.txt" name the same file.
    Map<String, byte[]> twice = new LinkedHashMap<>();
    twice.put("a.txt", "one".getBytes());
    twice.put("./a.txt", "two".getBytes());
    Files.write(archive, Archives.tarGz(twice));

    assertThatThrownBy(() -> unpacker.unpack(archive, target))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("appears twice");
  }

  private Path write(byte[] archive) throws IOException {
    Path file = Files.createTempFile(temp, "archive", ".bin");
    Files.write(file, archive);
    return file;
  }

  /** Nothing in the sandbox but the target folder (if it still exists). */
  private void assertNothingEscaped() throws IOException {
    try (Stream<Path> files = Files.walk(sandbox)) {
      assertThat(files.filter(Files::isRegularFile).filter(p -> !p.startsWith(target))).isEmpty();
    }
    assertThat(Path.of("/tmp/evil.txt")).doesNotExist();
  }
}
