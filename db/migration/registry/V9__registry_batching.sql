-- Dynamic batching of a version (Triton's dynamic_batching), declared in its upload's metadata:
-- {"maxBatchSize": 32, "maxQueueDelayMicros": 500, "preferredBatchSizes": [8, 16]}.
alter table model_version add column batching jsonb;
