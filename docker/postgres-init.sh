#!/bin/sh
# Runs once, when the postgres container initializes its data folder: a login role for Modelhub
# that owns its own database and nothing else (Flyway creates the modelhub schema in it).
set -eu
psql -v ON_ERROR_STOP=1 -v password="$MODELHUB_DB_PASSWORD" --username "$POSTGRES_USER" --dbname postgres <<'SQL'
create role modelhub login password :'password';
create database modelhub owner modelhub;
SQL
