-- Identity: API keys (stored as SHA-256 hashes, found by a non-secret prefix) and the audit trail
-- every change and every refusal is written to, in the change's own transaction.

create table api_key (
    id           bigint generated always as identity primary key,
    name         varchar(100) not null,
    prefix       varchar(16)  not null unique,
    hash         char(64)     not null,
    role         varchar(16)  not null,
    models       jsonb        not null default '[]'::jsonb,
    expires_at   timestamptz,
    created_at   timestamptz  not null,
    created_by   varchar(200) not null,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   varchar(200)
);

-- A name identifies one working key at a time; a revoked key's name may be reused.
create unique index api_key_active_name_idx on api_key (name) where revoked_at is null;

create table audit_event (
    id             bigint generated always as identity primary key,
    at             timestamptz  not null,
    actor          varchar(200) not null,
    actor_kind     varchar(16)  not null,
    key_id         bigint,
    action         varchar(200) not null,
    outcome        varchar(16)  not null,
    model          varchar(63),
    version        integer,
    alias          varchar(63),
    job_id         bigint,
    target_key_id  bigint,
    detail         text,
    client_address varchar(64),
    request_id     varchar(64)
);

create index audit_event_at_idx on audit_event (id desc);
create index audit_event_model_idx on audit_event (model, id desc);
create index audit_event_actor_idx on audit_event (actor, id desc);
