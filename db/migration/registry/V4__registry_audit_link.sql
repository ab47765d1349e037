-- Each alias move links to the audit event that recorded it (written in the same transaction).
alter table alias_history add column audit_event_id bigint;
