#!/bin/sh
# Creates the role the API connects as (docs/tenancy.md, "The database roles"): a login without
# SUPERUSER or BYPASSRLS that owns the database and its `public` schema, so it can run the
# migrations, and is a member of the two roles row-level security is built on — candle_tenant,
# which tenant work switches to, and candle_system, which sees every platform — created here
# because the login may not create roles. The postgres image runs this once, as its superuser
# (POSTGRES_USER), when it initialises an empty data directory (docker-compose.yml mounts it into
# /docker-entrypoint-initdb.d/). It also runs by hand, with psql's PG* variables pointing at a
# server: PGHOST=… POSTGRES_USER=postgres POSTGRES_DB=candle CANDLE_DB_PASSWORD=… sh deploy/postgres-init.sh
set -e
: "${POSTGRES_USER:?the superuser to connect as}" "${POSTGRES_DB:?the database the API uses}"
: "${CANDLE_DB_PASSWORD:?set CANDLE_DB_PASSWORD, the password of the role the API connects as}"
app_user="${CANDLE_DB_USER:-candle}"
if [ "$app_user" = "$POSTGRES_USER" ]; then
  echo "postgres-init.sh: CANDLE_DB_USER ($app_user) must differ from POSTGRES_USER: the API does not connect as the superuser" >&2
  exit 1
fi
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=app_user="$app_user" --set=app_password="$CANDLE_DB_PASSWORD" --set=db="$POSTGRES_DB" <<'SQL'
-- Cluster-wide: another database of the server may have made them already.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'candle_tenant') THEN
    CREATE ROLE candle_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'candle_system') THEN
    CREATE ROLE candle_system NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END $$;
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password';
GRANT candle_tenant, candle_system TO :"app_user";
ALTER DATABASE :"db" OWNER TO :"app_user";
ALTER SCHEMA public OWNER TO :"app_user";
SQL
echo "postgres-init.sh: the API connects as $app_user (no SUPERUSER, no BYPASSRLS; candle_tenant and candle_system), owner of the database $POSTGRES_DB"
