#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, without systemd.
#
#   scripts/pg-cluster.sh start DIR PORT   initdb into DIR, start on 127.0.0.1:PORT, create the
#                                          role `marketplace` (password `marketplace`, CREATEDB)
#                                          and the database `marketplace_test` it owns; print
#                                          postgres://marketplace:marketplace@127.0.0.1:PORT/marketplace_test
#                                          on stdout (everything else goes to stderr).
#   scripts/pg-cluster.sh stop DIR         fast shutdown, then remove DIR.
#
# As root the server runs as the `postgres` user (initdb refuses root); otherwise as the caller.
# DIR must be new, empty, or a cluster made by this script (which is then stopped and wiped).
# fsync is off: the data is disposable by design.
set -euo pipefail

MARKER=".marketplace-pg-cluster"

die() { echo "pg-cluster: $*" >&2; exit 1; }
log() { echo "pg-cluster: $*" >&2; }

usage() {
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
}

find_bindir() {
    local dirs=() d
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && dirs+=("$d")
    done
    ((${#dirs[@]})) || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run scripts/system-deps.sh)"
    # The newest major version wins.
    printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1
}

# Run a command as the cluster's owner (from /, which the postgres user can always enter).
as_owner() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

cluster_running() {
    [[ -f "$DIR/data/PG_VERSION" ]] && as_owner "$BINDIR/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

stop_cluster() {
    if [[ -f "$DIR/data/PG_VERSION" ]]; then
        if cluster_running; then
            log "stopping the cluster in $DIR"
            as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null \
                || die "pg_ctl stop failed for $DIR/data"
        fi
    fi
}

# Refuse to wipe a folder this script did not make.
check_ours() {
    if [[ -d "$DIR" && -n "$(ls -A "$DIR" 2>/dev/null)" && ! -f "$DIR/$MARKER" ]]; then
        die "$DIR exists, is not empty and is not a cluster made by $0; refusing to touch it"
    fi
}

[[ $# -ge 2 ]] || usage
CMD=$1
DIR=$2
[[ -n "$DIR" && "$DIR" != "/" ]] || die "DIR must be a folder, not '$DIR'"
DIR=$(realpath -m -- "$DIR")
BINDIR=$(find_bindir)

case "$CMD" in
start)
    [[ $# -eq 3 ]] || usage
    PORT=$3
    [[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT > 0 && PORT < 65536)) || die "PORT must be 1-65535, got '$PORT'"
    if ((EUID == 0)) && ! getent passwd postgres >/dev/null; then
        die "running as root but there is no 'postgres' user (is the postgresql package installed?)"
    fi
    # Unix socket paths are limited to 107 bytes: DIR/.s.PGSQL.PORT must fit.
    ((${#DIR} + 18 <= 107)) || die "DIR is too long for a Unix socket path: $DIR"
    check_ours
    if [[ -f "$DIR/$MARKER" ]]; then
        log "$DIR already holds a cluster: stopping and wiping it first"
        stop_cluster
        rm -rf -- "$DIR"
    fi

    mkdir -p -- "$DIR"
    touch "$DIR/$MARKER"
    if ((EUID == 0)); then
        chown postgres: "$DIR"
        chmod 700 "$DIR"
        runuser -u postgres -- test -w "$DIR" \
            || die "the postgres user cannot reach $DIR (a parent folder is not traversable); use a folder under /tmp"
    fi

    log "initdb ($BINDIR) into $DIR/data"
    as_owner "$BINDIR/initdb" -D "$DIR/data" -U postgres -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }

    log "starting on 127.0.0.1:$PORT"
    if ! as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null; then
        tail -n 30 "$DIR/postgres.log" >&2 || true
        die "the server did not start (is port $PORT free?)"
    fi

    as_owner "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres >&2 <<'SQL' \
        || die "could not create the role and database"
CREATE ROLE marketplace LOGIN CREATEDB PASSWORD 'marketplace';
CREATE DATABASE marketplace_test OWNER marketplace;
SQL
    echo "postgres://marketplace:marketplace@127.0.0.1:$PORT/marketplace_test"
    ;;
stop)
    [[ $# -eq 2 ]] || usage
    [[ -e "$DIR" ]] || { log "$DIR does not exist: nothing to stop"; exit 0; }
    check_ours
    stop_cluster
    rm -rf -- "$DIR"
    log "stopped and removed $DIR"
    ;;
*)
    usage
    ;;
esac
