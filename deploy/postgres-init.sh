#!/bin/sh
# Creates the role the API connects as, so that row-level security applies to it (docs/tenancy.md):
# a login without SUPERUSER or BYPASSRLS that owns the database and its `public` schema, so it can
# run the migrations; the tables' forced policies apply to their owner too. The postgres image runs
# this once, as its superuser (POSTGRES_USER), when it initialises an empty data directory
# (docker-compose.yml mounts it into /docker-entrypoint-initdb.d/). It can also be run by hand with
# psql's PG* variables pointing at a server: PGHOST=… POSTGRES_USER=postgres POSTGRES_DB=candle
# CANDLE_DB_PASSWORD=… sh deploy/postgres-init.sh
set -e
: "${POSTGRES_USER:?the superuser to connect as}" "${POSTGRES_DB:?the database the API uses}"
: "${CANDLE_DB_PASSWORD:?set CANDLE_DB_PASSWORD, the password of the role the API connects as}"
app_user="${CANDLE_DB_USER:-candle}"
if [ "$app_user" = "$POSTGRES_USER" ]; then
  echo "postgres-init.sh: CANDLE_DB_USER ($app_user) must differ from POSTGRES_USER, the superuser: row-level security does not apply to a superuser" >&2
  exit 1
fi
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=app_user="$app_user" --set=app_password="$CANDLE_DB_PASSWORD" --set=db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO :"app_user";
ALTER SCHEMA public OWNER TO :"app_user";
SQL
echo "postgres-init.sh: the API connects as $app_user (no SUPERUSER, no BYPASSRLS), owner of the database $POSTGRES_DB"
