package dev.modelhub.common;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSpaceTest {

  @TempDir Path dir;

  @Test
  void more_than_the_disk_holds_is_refused_with_what_is_needed_and_free() {
    assertThatThrownBy(() -> DiskSpace.require(dir, Long.MAX_VALUE / 2, "to load this model"))
        .isInstanceOf(DiskSpace.InsufficientStorage.class)
        .hasMessageContaining("to load this model")
        .hasMessageContaining("MB are free");
    assertThatCode(() -> DiskSpace.require(dir, 1024, "to load this model"))
        .doesNotThrowAnyException();
  }
}
