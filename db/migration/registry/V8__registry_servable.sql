-- Whether a version loads in its engine, found by a validation load when it was registered:
-- true, false (with the engine's message), or null when no node with the serving role checked it.
alter table model_version add column servable boolean;
alter table model_version add column servable_message text;
alter table model_version add column validated_at timestamptz;
-- While a node runs the validation load, the version cannot be promoted (until this time at most,
-- should that node stop before it records the outcome).
alter table model_version add column validating_until timestamptz;
