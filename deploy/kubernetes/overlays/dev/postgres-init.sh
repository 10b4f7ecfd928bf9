#!/bin/sh
# Runs once, on an empty data volume: one role and one database per service, each role limited
# to its own database. Passwords come from <NAME>_DATABASE_PASSWORD (compose passes them in).
set -eu
for name in auth bank catalog orders payments notifications; do
    password=$(printenv "$(echo "$name" | tr '[:lower:]' '[:upper:]')_DATABASE_PASSWORD")
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
