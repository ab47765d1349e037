-- The pre- and post-processing of a version (decode, resize, scale, ...; softmax, top-k, labels),
-- declared in its upload's metadata or set later; variants inherit their parent's.
alter table model_version add column pipeline jsonb;
