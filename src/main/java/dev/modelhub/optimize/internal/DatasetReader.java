package dev.modelhub.optimize.internal;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.modelhub.artifact.ArchiveType;
import dev.modelhub.artifact.SafeUnpacker;
import dev.modelhub.artifact.UnpackedArchive;
import dev.modelhub.format.Datatype;
import dev.modelhub.optimize.DatasetFormat;
import dev.modelhub.optimize.JobProperties;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;
import org.apache.commons.io.input.BOMInputStream;
import org.springframework.stereotype.Component;

/**
 * Reads dataset files, refusing with a 422 anything that is not a well-formed dataset: CSVs through
 * Commons CSV (RFC 4180 quoting, a byte-order mark, CRLF or LF), .npz files through the safe
 * unpacker (an .npz is a zip) and DJL's NumPy decoding, each array's header checked first.
 */
@Component
public class DatasetReader {

  private static final String NPY = ".npy";

  private final SafeUnpacker unpacker;
  private final JobProperties properties;

  public DatasetReader(SafeUnpacker unpacker, JobProperties properties) {
    this.unpacker = unpacker;
    this.properties = properties;
  }

  /** Reads {@code file}: an .npz when it is a zip, a CSV otherwise. */
  public Dataset read(Path file) {
    try {
      return ArchiveType.detect(file).orElse(null) == ArchiveType.ZIP ? npz(file) : csv(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dataset " + file, e);
    }
  }

  private Dataset csv(Path file) throws IOException {
    CSVFormat format =
        CSVFormat.RFC4180
            .builder()
            .setHeader()
            .setSkipHeaderRecord(true)
            .setIgnoreEmptyLines(true)
            .setTrim(true)
            .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW)
            .setAllowMissingColumnNames(false)
            .get();
    try (InputStream in = BOMInputStream.builder().setPath(file).get();
        Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8);
        CSVParser parser = CSVParser.builder().setReader(reader).setFormat(format).get()) {
      List<String> names = parser.getHeaderNames();
      int label = names.indexOf(Dataset.LABEL);
      int columns = names.size() - (label >= 0 ? 1 : 0);
      if (columns == 0) {
        throw Dataset.invalid("The CSV has no input columns.");
      }
      FloatBuffer values = FloatBuffer.allocate(Math.max(16, columns) * 16);
      List<Integer> labels = new ArrayList<>();
      int rows = 0;
      for (CSVRecord record : parser) {
        if (rows == properties.maxDatasetRows()) {
          throw Dataset.invalid(
              "The CSV has more than "
                  + properties.maxDatasetRows()
                  + " rows (modelhub.jobs.max-dataset-rows).");
        }
        if (record.size() != names.size()) {
          throw Dataset.invalid(
              "Line "
                  + parser.getCurrentLineNumber()
                  + " has "
                  + record.size()
                  + " cells; the header has "
                  + names.size()
                  + ".");
        }
        values = room(values, columns);
        for (int i = 0; i < record.size(); i++) {
          String cell = record.get(i);
          try {
            if (i == label) {
              labels.add(Integer.parseInt(cell));
            } else {
              values.put(Float.parseFloat(cell));
            }
          } catch (NumberFormatException e) {
            throw Dataset.invalid(
                "Line "
                    + parser.getCurrentLineNumber()
                    + ", column '"
                    + shown(names.get(i))
                    + "': '"
                    + shown(cell)
                    + "' is not "
                    + (i == label ? "an integer label" : "a number")
                    + ".");
          }
        }
        rows++;
      }
      if (rows == 0) {
        throw Dataset.invalid("The CSV has a header but no rows.");
      }
      int[] labelArray = label < 0 ? null : labels.stream().mapToInt(Integer::intValue).toArray();
      InputColumn column =
          new InputColumn(null, Datatype.FP32, new long[] {columns}, values.flip());
      return new Dataset(DatasetFormat.CSV, List.of(column), labelArray, rows);
    } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
      // Commons CSV: a duplicate or empty header name, an unterminated quote…
      throw Dataset.invalid("The CSV cannot be read: " + shown(String.valueOf(e.getMessage())));
    }
  }

  private static FloatBuffer room(FloatBuffer values, int more) {
    if (values.remaining() >= more) {
      return values;
    }
    int capacity =
        Math.toIntExact(Math.max((long) values.capacity() * 2, values.position() + more));
    FloatBuffer larger = FloatBuffer.allocate(capacity);
    larger.put(values.flip());
    return larger;
  }

  private Dataset npz(Path file) throws IOException {
    try (UnpackedArchive unpacked =
            unpacker.unpackToTemp(
                file, properties.maxDatasetSize().toBytes(), "modelhub.jobs.max-dataset-size");
        NDManager manager = NDManager.newBaseManager(Device.cpu(), engine())) {
      List<InputColumn> columns = new ArrayList<>();
      int[] labels = null;
      long rows = -1;
      for (String entry : unpacked.files()) {
        if (entry.contains("/") || !entry.endsWith(NPY) || entry.length() == NPY.length()) {
          throw Dataset.invalid(
              "The .npz holds '" + shown(entry) + "'; it may hold only .npy arrays at its top.");
        }
        String name = entry.substring(0, entry.length() - NPY.length());
        Path npy = unpacked.root().resolve(entry);
        NpyHeader header = NpyHeader.read(npy, name);
        if (rows >= 0 && header.shape()[0] != rows) {
          throw Dataset.invalid(
              "Array '"
                  + name
                  + "' has "
                  + header.shape()[0]
                  + " samples; the others have "
                  + rows
                  + ".");
        }
        rows = header.shape()[0];
        if (rows > properties.maxDatasetRows()) {
          throw Dataset.invalid(
              "The dataset has more than "
                  + properties.maxDatasetRows()
                  + " samples (modelhub.jobs.max-dataset-rows).");
        }
        Buffer values = decode(manager, npy, header);
        if (name.equals(Dataset.LABEL)) {
          labels = labels(header, values);
        } else {
          long[] sample = Arrays.copyOfRange(header.shape(), 1, header.shape().length);
          columns.add(new InputColumn(name, header.datatype(), sample, values));
        }
      }
      if (columns.isEmpty() || rows <= 0) {
        throw Dataset.invalid("The .npz has no input arrays with samples.");
      }
      return new Dataset(DatasetFormat.NPZ, List.copyOf(columns), labels, (int) rows);
    }
  }

  /** DJL's NumPy decoding, on the engine that evaluates variants. */
  private static String engine() {
    return Engine.getEngine("OnnxRuntime").getEngineName();
  }

  private static Buffer decode(NDManager manager, Path npy, NpyHeader header) throws IOException {
    try (InputStream in = Files.newInputStream(npy);
        NDList decoded = NDList.decode(manager, in)) {
      NDArray array = decoded.singletonOrThrow();
      return switch (header.datatype()) {
        case FP32 -> FloatBuffer.wrap(array.toFloatArray());
        case FP64 -> DoubleBuffer.wrap(array.toDoubleArray());
        case INT32 -> IntBuffer.wrap(array.toIntArray());
        case INT64 -> LongBuffer.wrap(array.toLongArray());
        case INT8, UINT8 -> ByteBuffer.wrap(array.toByteArray());
        case BOOL -> booleans(array.toBooleanArray());
        default -> throw new IllegalStateException("unreachable: " + header.datatype());
      };
    }
  }

  private static ByteBuffer booleans(boolean[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length);
    for (boolean v : values) {
      bytes.put((byte) (v ? 1 : 0));
    }
    return bytes.flip();
  }

  private static int[] labels(NpyHeader header, Buffer values) {
    if (header.shape().length != 1) {
      throw Dataset.invalid("Array 'label' must hold one integer per sample.");
    }
    if (values instanceof IntBuffer ints) {
      int[] labels = new int[ints.remaining()];
      ints.get(labels);
      return labels;
    }
    if (values instanceof LongBuffer longs) {
      int[] labels = new int[longs.remaining()];
      for (int i = 0; i < labels.length; i++) {
        long label = longs.get(i);
        if (label != (int) label) {
          throw Dataset.invalid("Array 'label' holds " + label + ", too large for a class index.");
        }
        labels[i] = (int) label;
      }
      return labels;
    }
    if (values instanceof ByteBuffer bytes && header.datatype() != Datatype.BOOL) {
      int[] labels = new int[bytes.remaining()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = header.datatype() == Datatype.UINT8 ? bytes.get(i) & 0xff : bytes.get(i);
      }
      return labels;
    }
    throw Dataset.invalid("Array 'label' must hold integers, not " + header.datatype() + ".");
  }

  private static String shown(String text) {
    return text.length() <= 80 ? text : text.substring(0, 77) + "…";
  }
}
