package dev.modelhub.optimize.internal;

import dev.modelhub.optimize.DatasetView;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Dataset rows; the CSV itself is a blob in object storage. */
public class DatasetStore {

  private static final String SELECT =
      "select d.*, m.name as model_name from dataset d join model m on m.id = d.model_id ";

  private final JdbcClient jdbc;

  public DatasetStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** Inserts a dataset; empty if the model already has one of that name. */
  public Optional<Long> insert(
      long modelId,
      String name,
      String digest,
      long size,
      int rows,
      int columns,
      boolean labels,
      String actor) {
    return jdbc.sql(
            "insert into dataset (model_id, name, digest, size_bytes, row_count, column_count, has_labels,"
                + " created_at, created_by) values (:model, :name, :digest, :size, :rows, :columns, :labels,"
                + " now(), :actor) on conflict (model_id, name) do nothing returning id")
        .param("model", modelId)
        .param("name", name)
        .param("digest", digest)
        .param("size", size)
        .param("rows", rows)
        .param("columns", columns)
        .param("labels", labels)
        .param("actor", actor)
        .query(Long.class)
        .optional();
  }

  public List<DatasetView> list(String model) {
    return jdbc.sql(SELECT + "where m.name = :model order by d.id")
        .param("model", model)
        .query(mapper())
        .list();
  }

  /** A model's dataset by name, or by id when {@code reference} is a number. */
  public Optional<DatasetView> find(String model, Object reference) {
    if (reference instanceof Number id) {
      return jdbc.sql(SELECT + "where m.name = :model and d.id = :id")
          .param("model", model)
          .param("id", id.longValue())
          .query(mapper())
          .optional();
    }
    String text = reference.toString();
    if (text.matches("\\d+")) {
      Optional<DatasetView> byId = find(model, Long.parseLong(text));
      if (byId.isPresent()) {
        return byId;
      }
    }
    return jdbc.sql(SELECT + "where m.name = :model and d.name = :name")
        .param("model", model)
        .param("name", text)
        .query(mapper())
        .optional();
  }

  private static RowMapper<DatasetView> mapper() {
    return (rs, n) ->
        new DatasetView(
            rs.getLong("id"),
            rs.getString("model_name"),
            rs.getString("name"),
            rs.getString("digest"),
            rs.getLong("size_bytes"),
            rs.getInt("row_count"),
            rs.getInt("column_count"),
            rs.getBoolean("has_labels"),
            rs.getTimestamp("created_at").toInstant(),
            rs.getString("created_by"));
  }
}
