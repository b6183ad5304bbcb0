#!/bin/bash
# Roles and databases for the hub and for CKAN. The postgres image runs this once, on
# the first start with an empty data volume; later password changes are made with
# ALTER ROLE (see docs/deployment.md).
#
#   civichub      owns database civichub (the hub's store)
#   ckan          owns databases ckan and ckan_datastore; CKAN's start-up runs
#                 `ckan datastore set-permissions` as this role, which grants reading
#   datastore_ro  read-only login for the CKAN DataStore
#
# Passwords arrive in the environment and reach SQL as psql variables (:'name'), which
# psql quotes, so any character is safe.
set -euo pipefail

: "${HUB_DB_PASSWORD:?}" "${CKAN_DB_PASSWORD:?}" "${DATASTORE_RO_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" \
    -v civichub_password="$HUB_DB_PASSWORD" \
    -v ckan_password="$CKAN_DB_PASSWORD" \
    -v datastore_ro_password="$DATASTORE_RO_PASSWORD" <<'EOSQL'
CREATE ROLE civichub LOGIN PASSWORD :'civichub_password';
CREATE DATABASE civichub OWNER civichub ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE civichub FROM PUBLIC;

CREATE ROLE ckan LOGIN PASSWORD :'ckan_password';
CREATE DATABASE ckan OWNER ckan ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE ckan_datastore OWNER ckan ENCODING 'UTF8' TEMPLATE template0;

CREATE ROLE datastore_ro LOGIN PASSWORD :'datastore_ro_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE;
EOSQL
