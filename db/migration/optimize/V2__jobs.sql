-- Optimization jobs: the job table is its own durable queue (claimed with FOR UPDATE SKIP LOCKED,
-- leased, heartbeated, taken over when a worker dies), and the datasets variants are evaluated on.

create table job (
    id               bigint generated always as identity primary key,
    kind             varchar(32)  not null,
    model_name       varchar(63)  not null,
    version          integer      not null,
    pass             varchar(64)  not null,
    params           jsonb        not null,
    status           varchar(16)  not null,
    progress         integer      not null default 0,
    message          text,
    attempts         integer      not null default 0,
    max_attempts     integer      not null,
    next_run_at      timestamptz  not null,
    lease_until      timestamptz,
    worker           varchar(200),
    heartbeat_at     timestamptz,
    cancel_requested boolean      not null default false,
    error            text,
    result_version   integer,
    report           jsonb,
    log              jsonb        not null default '[]'::jsonb,
    created_at       timestamptz  not null,
    created_by       varchar(200) not null,
    started_at       timestamptz,
    finished_at      timestamptz
);

create index job_claim_idx on job (status, next_run_at);
create index job_model_idx on job (model_name, id);

-- A job registers its variant once, even if it ran twice (a worker presumed dead finishing late).
create unique index model_version_job_idx on model_version (produced_by_job_id)
    where produced_by_job_id is not null;

create table dataset (
    id          bigint generated always as identity primary key,
    model_id    bigint       not null references model (id) on delete cascade,
    name        varchar(63)  not null,
    digest      varchar(71)  not null,
    size_bytes  bigint       not null,
    row_count   integer      not null,
    column_count integer     not null,
    has_labels  boolean      not null,
    created_at  timestamptz  not null,
    created_by  varchar(200) not null,
    unique (model_id, name)
);
