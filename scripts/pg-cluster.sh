#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster on a loopback port, for the tests and bench-db.
#
#   scripts/pg-cluster.sh start DIR PORT   start it; the admin account is gridmap_admin,
#                                          its password in DIR/pw, database "county"
#   scripts/pg-cluster.sh stop DIR         stop it and remove DIR
#
# Debian's server binaries (postgresql-15, postgresql-15-postgis-3; `make test` installs
# them) run as the user running this, or as `postgres` when that is root (initdb refuses
# root). Nothing is registered with the system: no service, nothing at boot.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "PostgreSQL server not found (/usr/lib/postgresql/*/bin): apt-get install postgresql postgresql-15-postgis-3 (make test does)" >&2
    exit 3
fi
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
    port=${3:?port}
    mkdir -p "$dir"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/pw"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U gridmap_admin --pwfile="$dir/pw" \
        -A scram-sha-256 -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" \
        start > /dev/null || { cat "$dir/server.log" >&2; exit 1; }
    PGPASSWORD=$(cat "$dir/pw") "$bin/createdb" -h 127.0.0.1 -p "$port" -U gridmap_admin county
    echo "postgres://gridmap_admin@127.0.0.1:$port/county"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
