package dev.modelhub.optimize.internal;

import dev.modelhub.format.Datatype;
import dev.modelhub.optimize.DatasetFormat;
import dev.modelhub.optimize.DatasetInput;
import dev.modelhub.optimize.DatasetView;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

/** Dataset rows; the file itself is a blob in object storage. */
@Repository
public class DatasetStore {

  private static final TypeReference<List<DatasetInput>> INPUTS = new TypeReference<>() {};

  private final JdbcClient jdbc;
  private final ObjectMapper json;

  public DatasetStore(JdbcClient jdbc, ObjectMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  /** What a new dataset row records. */
  public record NewDataset(
      long modelId, String name, String digest, long sizeBytes, Dataset dataset, String actor) {}

  /** Inserts a dataset; empty if the model already has one of that name. */
  public Optional<Long> insert(NewDataset row) {
    Dataset dataset = row.dataset();
    return jdbc.sql(
            "insert into dataset (model_id, name, format, digest, size_bytes, row_count,"
                + " column_count, inputs, has_labels, created_at, created_by)"
                + " values (:modelId, :name, :format, :digest, :size, :rows, :columns,"
                + " cast(:inputs as jsonb), :labels, now(), :actor)"
                + " on conflict (model_id, name) do nothing returning id")
        .param("modelId", row.modelId())
        .param("name", row.name())
        .param("format", dataset.format().name())
        .param("digest", row.digest())
        .param("size", row.sizeBytes())
        .param("rows", dataset.rows())
        .param("columns", columns(dataset))
        .param("inputs", json.writeValueAsString(dataset.inputs()))
        .param("labels", dataset.labels() != null)
        .param("actor", row.actor())
        .query(Long.class)
        .optional();
  }

  private static int columns(Dataset dataset) {
    return dataset.format() == DatasetFormat.CSV
        ? Math.toIntExact(dataset.columns().get(0).sampleShape()[0])
        : dataset.columns().size();
  }

  /** The datasets of a model (its id and name, as the registry knows them). */
  public List<DatasetView> list(long modelId, String model) {
    return jdbc.sql("select * from dataset where model_id = :model order by id")
        .param("model", modelId)
        .query(mapper(model))
        .list();
  }

  /** A model's dataset by name, or by id when {@code reference} is a number. */
  public Optional<DatasetView> find(long modelId, String model, Object reference) {
    if (reference instanceof Number id) {
      return jdbc.sql("select * from dataset where model_id = :model and id = :id")
          .param("model", modelId)
          .param("id", id.longValue())
          .query(mapper(model))
          .optional();
    }
    String text = reference.toString();
    if (text.matches("\\d{1,18}")) {
      Optional<DatasetView> byId = find(modelId, model, Long.parseLong(text));
      if (byId.isPresent()) {
        return byId;
      }
    }
    return jdbc.sql("select * from dataset where model_id = :model and name = :name")
        .param("model", modelId)
        .param("name", text)
        .query(mapper(model))
        .optional();
  }

  /** Removes every dataset of a deleted model. */
  public int deleteAll(long modelId) {
    return jdbc.sql("delete from dataset where model_id = :model").param("model", modelId).update();
  }

  private RowMapper<DatasetView> mapper(String model) {
    return (rs, n) -> {
      DatasetFormat format = DatasetFormat.valueOf(rs.getString("format").toUpperCase(Locale.ROOT));
      return new DatasetView(
          rs.getLong("id"),
          model,
          rs.getString("name"),
          format,
          rs.getString("digest"),
          rs.getLong("size_bytes"),
          rs.getInt("row_count"),
          rs.getInt("column_count"),
          inputs(rs),
          rs.getBoolean("has_labels"),
          rs.getTimestamp("created_at").toInstant(),
          rs.getString("created_by"));
    };
  }

  /** Rows from before inputs were recorded are CSVs: their columns feed the model's one input. */
  private List<DatasetInput> inputs(ResultSet rs) throws SQLException {
    String stored = rs.getString("inputs");
    if (stored == null) {
      return List.of(
          new DatasetInput(null, Datatype.FP32, List.of((long) rs.getInt("column_count"))));
    }
    return json.readValue(stored, INPUTS);
  }
}
