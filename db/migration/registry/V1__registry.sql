-- Registry: models, their versions, aliases (the desired state of serving) and alias history.
-- Blobs live in object storage under their digest; these rows point at them.

create table model (
    id           bigint generated always as identity primary key,
    name         varchar(63)  not null unique,
    description  text,
    tags         jsonb        not null default '{}'::jsonb,
    -- Highest version number handed out; incremented under the row lock so that concurrent
    -- uploads get 1, 2, 3… with no gap or duplicate.
    last_version integer      not null default 0,
    created_at   timestamptz  not null,
    created_by   varchar(200) not null,
    updated_at   timestamptz  not null
);

create table model_version (
    id                 bigint generated always as identity primary key,
    model_id           bigint       not null references model (id) on delete cascade,
    version            integer      not null,
    format             varchar(32)  not null,
    artifact_digest    varchar(71)  not null,
    size_bytes         bigint       not null,
    filename           varchar(255),
    signature          jsonb        not null,
    parameter_count    bigint,
    format_details     jsonb        not null default '{}'::jsonb,
    description        text,
    tags               jsonb        not null default '{}'::jsonb,
    parent_version_id  bigint references model_version (id),
    produced_by_job_id bigint,
    lineage            jsonb,
    report             jsonb,
    status             varchar(16)  not null,
    created_at         timestamptz  not null,
    created_by         varchar(200) not null,
    updated_at         timestamptz  not null,
    unique (model_id, version)
);

create index model_version_digest_idx on model_version (artifact_digest);

create table model_alias (
    model_id   bigint       not null references model (id) on delete cascade,
    alias      varchar(63)  not null,
    version_id bigint       not null references model_version (id),
    updated_at timestamptz  not null,
    updated_by varchar(200) not null,
    primary key (model_id, alias)
);

create index model_alias_version_idx on model_alias (version_id);

create table alias_history (
    id           bigint generated always as identity primary key,
    model_id     bigint       not null references model (id) on delete cascade,
    alias        varchar(63)  not null,
    from_version integer,
    to_version   integer,
    moved_at     timestamptz  not null,
    moved_by     varchar(200) not null
);

create index alias_history_alias_idx on alias_history (model_id, alias, id);
