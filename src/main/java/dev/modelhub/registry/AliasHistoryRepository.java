package dev.modelhub.registry;

import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;

interface AliasHistoryRepository extends JpaRepository<AliasHistoryEntity, Long> {

  Page<AliasHistoryEntity> findByModelIdAndAlias(Long modelId, String alias, Pageable pageable);

  Optional<AliasHistoryEntity> findFirstByModelIdAndAliasOrderByIdDesc(Long modelId, String alias);
}
