package dev.modelhub.registry;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;

interface AliasRepository extends JpaRepository<AliasEntity, AliasEntity.Key> {

  List<AliasEntity> findByModelIdOrderByAlias(Long modelId);

  List<AliasEntity> findByModelIdIn(Collection<Long> modelIds);

  List<AliasEntity> findByVersionIdOrderByAlias(Long versionId);

  List<AliasEntity> findByVersionIdInOrderByAlias(Collection<Long> versionIds);

  Optional<AliasEntity> findByModelIdAndAlias(Long modelId, String alias);

  List<AliasEntity> findByAliasIn(Collection<String> aliases);

  List<AliasEntity> findByModelIdAndAliasIn(Long modelId, Collection<String> aliases);
}
