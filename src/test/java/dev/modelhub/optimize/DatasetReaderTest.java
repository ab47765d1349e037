package dev.modelhub.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelhub.artifact.ArchiveRejectedException;
import dev.modelhub.common.UnprocessableException;
import dev.modelhub.format.Datatype;
import dev.modelhub.format.ModelSignature;
import dev.modelhub.format.TensorSpec;
import dev.modelhub.optimize.internal.Dataset;
import dev.modelhub.optimize.internal.DatasetReader;
import dev.modelhub.optimize.internal.EvaluationData;
import dev.modelhub.support.TestProperties;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Datasets as their producers write them — CSVs from spreadsheets and pandas, .npz files from NumPy
 * — and as an attacker might: every malformed or oversized one is a 422 naming what to fix.
 */
class DatasetReaderTest {

  private static final ModelSignature DIGITS =
      new ModelSignature(
          List.of(new TensorSpec("input", Datatype.FP32, List.of(-1L, 64L))),
          List.of(new TensorSpec("logits", Datatype.FP32, List.of(-1L, 10L))));

  private static final ModelSignature TWO_INPUTS =
      new ModelSignature(
          List.of(
              new TensorSpec("pixels", Datatype.FP32, List.of(-1L, 64L)),
              new TensorSpec("offset", Datatype.INT64, List.of(-1L, 1L))),
          List.of(new TensorSpec("logits", Datatype.FP32, List.of(-1L, 10L))));

  @TempDir Path temp;
  private DatasetReader reader;

  @BeforeEach
  void reader() {
    reader = TestProperties.datasetReader(temp.resolve("spool"));
  }

  @Test
  void a_csv_with_a_byte_order_mark_quoted_cells_and_crlf_reads_like_a_plain_one()
      throws IOException {
    Dataset plain = read("a,b,label\n0.5,1,0\n2,3,1\n");
    Dataset excel = read("\uFEFF\"a\",\"b\",\"label\"\r\n\"0.5\", 1 ,0\r\n2,\"3\",1\r\n\r\n");
    for (Dataset dataset : List.of(plain, excel)) {
      assertThat(dataset.format()).isEqualTo(DatasetFormat.CSV);
      assertThat(dataset.rows()).isEqualTo(2);
      assertThat(dataset.labels()).containsExactly(0, 1);
      FloatBuffer values = (FloatBuffer) dataset.columns().get(0).values();
      assertThat(values.remaining()).isEqualTo(4);
      assertThat(values.get(0)).isEqualTo(0.5f);
      assertThat(values.get(3)).isEqualTo(3f);
    }
  }

  @Test
  void the_digits_test_set_fits_the_digits_model_as_csv_and_as_numpy_npz() throws IOException {
    Dataset csv = reader.read(resource("digits-test.csv"));
    Dataset npz = reader.read(resource("digits-test.npz"));
    assertThat(npz.format()).isEqualTo(DatasetFormat.NPZ);
    assertThat(npz.rows()).isEqualTo(csv.rows()).isEqualTo(450);
    assertThat(npz.labels()).containsExactly(csv.labels());
    EvaluationData fromCsv = csv.toEvaluationData(DIGITS, "csv");
    EvaluationData fromNpz = npz.toEvaluationData(DIGITS, "npz");
    assertThat(fromNpz.inputs().get(0).values()).isEqualTo(fromCsv.inputs().get(0).values());
    assertThat(fromNpz.inputs().get(0).name()).isEqualTo("input");
  }

  @Test
  void an_npz_feeds_several_inputs_of_several_types() throws IOException {
    Dataset two = reader.read(resource("digits-two-inputs.npz"));
    assertThat(two.inputs())
        .containsExactlyInAnyOrder(
            new DatasetInput("pixels", Datatype.FP32, List.of(64L)),
            new DatasetInput("offset", Datatype.INT64, List.of(1L)));
    EvaluationData data = two.toEvaluationData(TWO_INPUTS, "two");
    assertThat(data.inputs()).extracting(c -> c.name()).containsExactly("pixels", "offset");
    assertThat(((LongBuffer) data.inputs().get(1).values()).remaining()).isEqualTo(450);
    assertThat(data.labels()).hasSize(450);
  }

  @Test
  void a_dataset_that_does_not_fit_the_model_says_how() throws IOException {
    Dataset two = reader.read(resource("digits-two-inputs.npz"));
    assertRefused(
        () -> Dataset.checkFits(two.format(), two.inputs(), DIGITS), "no array named 'input'");
    ModelSignature int32Offset =
        new ModelSignature(
            List.of(
                new TensorSpec("pixels", Datatype.FP32, List.of(-1L, 64L)),
                new TensorSpec("offset", Datatype.INT32, List.of(-1L, 1L))),
            DIGITS.outputs());
    assertRefused(
        () -> Dataset.checkFits(two.format(), two.inputs(), int32Offset),
        "Array 'offset' is INT64");
    ModelSignature onlyPixels =
        new ModelSignature(List.of(TWO_INPUTS.inputs().get(0)), DIGITS.outputs());
    assertRefused(
        () -> Dataset.checkFits(two.format(), two.inputs(), onlyPixels), "'offset' feeds no input");
    Dataset csv = read("a,b\n1,2\n");
    assertRefused(() -> Dataset.checkFits(csv.format(), csv.inputs(), TWO_INPUTS), "one input");
    assertRefused(() -> Dataset.checkFits(csv.format(), csv.inputs(), DIGITS), "2 input columns");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a,a\n1,2\n",
        "a,b\n\"1,2\n",
        "a,b\n1\n",
        "a,label\n1,x\n",
        "a,b\n1,NaNx\n",
        "label\n1\n",
        "a,b\n",
      })
  void a_malformed_csv_is_refused(String csv) {
    assertRefused(() -> read(csv), "");
  }

  @Test
  void npz_headers_that_lie_or_hold_what_no_model_takes_are_refused() throws IOException {
    byte[] four = new byte[16];
    Map<String, String> refusals = new LinkedHashMap<>();
    refusals.put(
        "shape claims a trillion", npz("x.npy", npy("<f4", false, "(1000000, 1000000)", four)));
    refusals.put("Fortran order", npz("x.npy", npy("<f4", true, "(2, 2)", four)));
    refusals.put("complex", npz("x.npy", npy("<c8", false, "(2,)", four)));
    refusals.put("big-endian", npz("x.npy", npy(">f4", false, "(2, 2)", four)));
    refusals.put("objects", npz("x.npy", npy("|O", false, "(2,)", four)));
    refusals.put("short data", npz("x.npy", npy("<f4", false, "(2, 3)", four)));
    refusals.put("negative dim", npz("x.npy", npy("<f4", false, "(-2, 2)", four)));
    refusals.put("no magic", npz("x.npy", "not an array".getBytes(StandardCharsets.UTF_8)));
    refusals.put("not npy", npz("readme.txt", "hello".getBytes(StandardCharsets.UTF_8)));
    refusals.put("nested", npz("dir/x.npy", npy("<f4", false, "(2, 2)", four)));
    refusals.put(
        "rows differ", npz2(npy("<f4", false, "(2, 2)", four), npy("<f4", false, "(4, 1)", four)));
    refusals.put(
        "label of floats",
        npz2(npy("<f4", false, "(4, 1)", four), npy("<f4", false, "(4,)", four), "label.npy"));
    for (var refusal : refusals.entrySet()) {
      Path file =
          Files.write(
              temp.resolve(refusal.getKey().replace(' ', '-') + ".npz"),
              refusal.getValue().getBytes(StandardCharsets.ISO_8859_1));
      assertThatThrownBy(() -> reader.read(file))
          .as(refusal.getKey())
          .isInstanceOfAny(UnprocessableException.class, ArchiveRejectedException.class);
    }
    assertThat(Files.list(temp.resolve("spool")).toList()).as("nothing left unpacked").isEmpty();
  }

  @Test
  void an_npz_that_unpacks_past_the_dataset_size_limit_is_refused_while_unpacking()
      throws IOException {
    DatasetReader small =
        new DatasetReader(
            TestProperties.unpacker(
                temp.resolve("spool"), org.springframework.util.unit.DataSize.ofGigabytes(1), 100),
            TestProperties.jobs(Map.of("max-dataset-size", "1MB")));
    byte[] zeros = new byte[4 * 1024 * 1024];
    Path bomb =
        Files.write(
            temp.resolve("bomb.npz"),
            npz("x.npy", npy("<f4", false, "(1024, 1024)", zeros))
                .getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> small.read(bomb))
        .isInstanceOf(ArchiveRejectedException.class)
        .hasMessageContaining("modelhub.jobs.max-dataset-size");
  }

  private Dataset read(String csv) throws IOException {
    return reader.read(Files.writeString(temp.resolve("d.csv"), csv));
  }

  private Path resource(String name) throws IOException {
    Path file = temp.resolve(name);
    try (InputStream in = getClass().getResourceAsStream("/data/" + name)) {
      Files.copy(in, file);
    }
    return file;
  }

  private static void assertRefused(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String detail) {
    assertThatThrownBy(call)
        .isInstanceOf(UnprocessableException.class)
        .hasMessageContaining(detail);
  }

  /** A .npy file: magic, version 1.0, a header dictionary, the element bytes. */
  static byte[] npy(String descr, boolean fortran, String shape, byte[] data) {
    String header =
        "{'descr': '"
            + descr
            + "', 'fortran_order': "
            + (fortran ? "True" : "False")
            + ", 'shape': "
            + shape
            + ", }";
    int padded = ((10 + header.length() + 1 + 63) / 64) * 64 - 10;
    StringBuilder text = new StringBuilder(header);
    while (text.length() < padded - 1) {
      text.append(' ');
    }
    text.append('\n');
    ByteBuffer out =
        ByteBuffer.allocate(10 + text.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
    out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    out.putShort((short) text.length());
    out.put(text.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.put(data);
    return out.array();
  }

  private static String npz(String name, byte[] entry) throws IOException {
    return zip(Map.of(name, entry));
  }

  private static String npz2(byte[] first, byte[] second) throws IOException {
    return npz2(first, second, "y.npy");
  }

  private static String npz2(byte[] first, byte[] second, String secondName) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("x.npy", first);
    entries.put(secondName, second);
    return zip(entries);
  }

  private static String zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (var entry : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(entry.getKey()));
        zip.write(entry.getValue());
        zip.closeEntry();
      }
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }
}
