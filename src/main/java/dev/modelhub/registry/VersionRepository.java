package dev.modelhub.registry;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface VersionRepository extends JpaRepository<VersionEntity, Long> {

  Optional<VersionEntity> findByModelIdAndVersion(Long modelId, int version);

  Page<VersionEntity> findByModelId(Long modelId, Pageable pageable);

  List<VersionEntity> findByIdIn(Collection<Long> ids);

  /** The newest READY version of each given model. */
  @Query(
      value =
          "select distinct on (model_id) * from model_version"
              + " where model_id in (:modelIds) and status = 'READY'"
              + " order by model_id, version desc",
      nativeQuery = true)
  List<VersionEntity> findLatestReady(@Param("modelIds") Collection<Long> modelIds);

  Optional<VersionEntity> findByProducedByJobId(Long jobId);
}
