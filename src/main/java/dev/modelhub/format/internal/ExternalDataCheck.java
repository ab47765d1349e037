package dev.modelhub.format.internal;

import dev.modelhub.format.InvalidArtifactException;
import dev.modelhub.onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks where an ONNX model's tensors keep their bytes: every external-data location must be a
 * plain relative path to a regular file inside the model's own unpacked folder (no {@code ..}, no
 * absolute path, no control character, no symbolic link anywhere on the way), and its offset and
 * length must lie within that file, computed with exact arithmetic. A bare {@code .onnx} file may
 * hold no external data at all. Engines follow these paths wherever they point, so this runs at
 * registration and again wherever a model is loaded.
 */
final class ExternalDataCheck {

  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,19}");
  private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");
  private static final String ORT_MEMORY_MARKER = "_ORT_MEM_ADDR_";

  private ExternalDataCheck() {}

  static void check(List<OnnxReader.ExternalRef> refs, Path model, Path archiveRoot) {
    if (refs.isEmpty()) {
      return;
    }
    if (archiveRoot == null) {
      OnnxReader.ExternalRef first = refs.get(0);
      throw new InvalidArtifactException(
          "This ONNX model keeps tensor data in external files ("
              + first.where()
              + " in '"
              + first.location()
              + "'): upload a .zip or .tar.gz holding the .onnx file and its data files.");
    }
    Path root = realPath(archiveRoot);
    Path base = realPath(model).getParent();
    for (OnnxReader.ExternalRef ref : refs) {
      checkOne(ref, base, root);
    }
  }

  private static void checkOne(OnnxReader.ExternalRef ref, Path base, Path root) {
    String location = ref.location();
    String where = "The external data of " + ref.where();
    if (location == null || location.isBlank()) {
      throw new InvalidArtifactException(where + " has no location.");
    }
    if (location.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new InvalidArtifactException(where + " has a control character in its location.");
    }
    String slashed = location.replace('\\', '/');
    if (slashed.startsWith("/") || slashed.startsWith("~") || DRIVE.matcher(slashed).matches()) {
      throw new InvalidArtifactException(
          where + " is at the absolute path '" + location + "'; it must lie inside the archive.");
    }
    for (String segment : slashed.split("/")) {
      if (segment.equals("..")) {
        throw new InvalidArtifactException(
            where + " climbs out of its folder with '..' ('" + location + "').");
      }
    }
    if (slashed.contains(ORT_MEMORY_MARKER)) {
      // ONNX Runtime reads the offset of such a location as a memory address of its own process.
      throw new InvalidArtifactException(where + " uses ONNX Runtime's in-memory marker.");
    }
    Path file;
    try {
      file = base.resolve(slashed).normalize();
    } catch (InvalidPathException e) {
      throw new InvalidArtifactException(where + " is not a valid file name.");
    }
    if (!file.startsWith(root)) {
      throw new InvalidArtifactException(where + " points outside the archive.");
    }
    for (Path step = file; !step.equals(root); step = step.getParent()) {
      if (Files.isSymbolicLink(step)) {
        throw new InvalidArtifactException(where + " goes through a symbolic link.");
      }
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new InvalidArtifactException(
          where + " is '" + location + "', which is missing from the archive.");
    }
    long size = size(file);
    long offset = number(ref.offset(), 0, where, "offset");
    long length = number(ref.length(), -1, where, "length");
    long end;
    try {
      // Without a length an engine reads as many bytes as the tensor's shape and type take.
      end = Math.addExact(offset, length >= 0 ? length : bytes(ref, where));
    } catch (ArithmeticException e) {
      throw new InvalidArtifactException(where + " has an offset and length past any file.");
    }
    if (end > size) {
      throw new InvalidArtifactException(
          where + " reaches byte " + end + " but '" + location + "' has " + size + " bytes.");
    }
  }

  /** The bytes a tensor's elements take in its external file. */
  private static long bytes(OnnxReader.ExternalRef ref, String where) {
    long elements = ref.elements();
    TensorProto.DataType type = TensorProto.DataType.forNumber(ref.dataType());
    long bytes =
        switch (type == null ? TensorProto.DataType.UNDEFINED : type) {
          case UINT8, INT8, BOOL, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ ->
              elements;
          case UINT16, INT16, FLOAT16, BFLOAT16 -> Math.multiplyExact(elements, 2L);
          case FLOAT, INT32, UINT32 -> Math.multiplyExact(elements, 4L);
          case INT64, DOUBLE, UINT64, COMPLEX64 -> Math.multiplyExact(elements, 8L);
          case COMPLEX128 -> Math.multiplyExact(elements, 16L);
          case UINT4, INT4, FLOAT4E2M1 -> (elements + 1) / 2; // two to a byte
          case UNDEFINED, STRING -> -1; // strings are never stored externally
        };
    if (bytes < 0) {
      throw new InvalidArtifactException(
          where + " has data type " + ref.dataType() + ", which cannot be stored externally.");
    }
    return bytes;
  }

  /** A non-negative decimal entry, or {@code absent} when there is none. */
  private static long number(String value, long absent, String where, String what) {
    if (value == null || value.isEmpty()) {
      return absent;
    }
    if (!DIGITS.matcher(value).matches()) {
      throw new InvalidArtifactException(
          where + " has " + what + " '" + value + "'; it must be a non-negative whole number.");
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new InvalidArtifactException(where + " has an " + what + " too large for any file.");
    }
  }

  private static Path realPath(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
