-- Warm-up samples uploaded with a version (a v2 inference request body): what serving nodes run
-- before the version takes traffic, instead of generated zeros.
alter table model_version add column warmup jsonb;
