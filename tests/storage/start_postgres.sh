#!/bin/sh
# Start the Debian PostgreSQL 15 cluster on localhost and create a throwaway test role and
# database. Idempotent; run as root on Debian 12 (apt-get install postgresql). Prints the
# URL to export, e.g.:
#   export MLOPS_DESKTOP_TEST_PG_URL="$(sh tests/storage/start_postgres.sh)"
set -eu
VERSION="${PG_VERSION:-15}"
CLUSTER="${PG_CLUSTER:-main}"
PORT="${PG_PORT:-5432}"
USER_NAME="${PG_TEST_USER:-mlops}"
PASSWORD="${PG_TEST_PASSWORD:-mlops}"
DB_NAME="${PG_TEST_DB:-mlops_test}"

# Only the URL goes to stdout: the tools' chatter (e.g. "Removed stale pid file.") goes to
# stderr, so that $(...) captures exactly one line.
{
    if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION $CLUSTER"; then
        pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >/dev/null
    fi
    if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
        pg_ctlcluster "$VERSION" "$CLUSTER" start
    fi
    # Wait until the server accepts connections.
    i=0
    until su postgres -c "pg_isready -q -p $PORT"; do
        i=$((i + 1))
        [ "$i" -gt 30 ] && { echo "PostgreSQL did not start" >&2; exit 1; }
        sleep 1
    done
    psql_admin() { su postgres -c "psql -p $PORT -v ON_ERROR_STOP=1 -qtAc \"$1\""; }
    if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME'")" != "1" ]; then
        psql_admin "CREATE ROLE $USER_NAME LOGIN PASSWORD '$PASSWORD' CREATEDB"
    fi
    if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != "1" ]; then
        psql_admin "CREATE DATABASE $DB_NAME OWNER $USER_NAME"
    fi
} >&2
echo "postgresql+psycopg://$USER_NAME:$PASSWORD@localhost:$PORT/$DB_NAME"
