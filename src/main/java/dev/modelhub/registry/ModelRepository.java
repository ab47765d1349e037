package dev.modelhub.registry;

import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface ModelRepository extends JpaRepository<ModelEntity, Long> {

  Optional<ModelEntity> findByName(String name);

  /**
   * Locks a model's row for the rest of the transaction. Every change that must see a consistent
   * set of versions and aliases (new version numbers, alias moves, archiving, deletion) takes this
   * lock first, so those changes are serialized per model.
   */
  @Lock(LockModeType.PESSIMISTIC_WRITE)
  @Query("select m from ModelEntity m where m.name = :name")
  Optional<ModelEntity> lockByName(@Param("name") String name);

  @Modifying
  @Query(
      value =
          "insert into model (name, description, tags, created_at, created_by, updated_at)"
              + " values (:name, null, '{}'::jsonb, :now, :actor, :now)"
              + " on conflict (name) do nothing",
      nativeQuery = true)
  int insertIfAbsent(
      @Param("name") String name, @Param("now") Instant now, @Param("actor") String actor);

  /**
   * Models whose name matches the regular expression {@code scope} (a caller's model patterns) and
   * whose name, description or one of whose tags ({@code key=value}) contains {@code query}.
   */
  @Query(
      value = "select * from model m where m.name ~ :scope and (:query = ''" + SEARCH + ")",
      countQuery =
          "select count(*) from model m where m.name ~ :scope and (:query = ''" + SEARCH + ")",
      nativeQuery = true)
  Page<ModelEntity> search(
      @Param("query") String query, @Param("scope") String scope, Pageable pageable);

  String SEARCH =
      " or strpos(lower(m.name), lower(:query)) > 0"
          + " or strpos(lower(coalesce(m.description, '')), lower(:query)) > 0"
          // a tag, as key=value or either part
          + " or exists (select 1 from jsonb_each_text(m.tags) t"
          + " where strpos(lower(t.key || '=' || t.value), lower(:query)) > 0)";
}
