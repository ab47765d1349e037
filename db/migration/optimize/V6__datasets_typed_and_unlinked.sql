-- Datasets: CSV or NumPy .npz, with the inputs each feeds (name, datatype, sample shape).
-- Rows from before have no inputs recorded: they are CSVs whose columns feed the model's one input.
alter table dataset add column format varchar(8) not null default 'CSV';
alter table dataset add column inputs jsonb;

-- A dataset belongs to a model by id, but optimization does not reach into the registry's tables:
-- the foreign key V2 declared goes, and the model's datasets are deleted when the registry
-- announces the model's deletion (ModelDeleted, in the deleting transaction).
alter table dataset drop constraint if exists dataset_model_id_fkey;
