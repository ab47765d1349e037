-- "A job registers at most one variant" is the registry's rule about its own table, so the index
-- that keeps it belongs to the registry's migrations. V2 (optimization, from before each module
-- owned its tables) created it under another name; it is replaced here, unchanged in effect.
drop index if exists model_version_job_idx;

create unique index if not exists model_version_produced_by_job_idx on model_version (produced_by_job_id)
    where produced_by_job_id is not null;
