#!/usr/bin/env bash
# Run the test suite on SQLite, on a throwaway PostgreSQL cluster, or both.
#
#   scripts/run-tests.sh sqlite   [pytest args...]   TEST_DATABASE_URL unset: a temp SQLite file
#   scripts/run-tests.sh postgres [pytest args...]   a fresh cluster (scripts/pg-cluster.sh) on a
#                                                    free port; TEST_DATABASE_URL points at it
#   scripts/run-tests.sh all      [pytest args...]   both, one after the other; fails if either did
#
# The cluster is stopped and removed whatever happens to the tests (trap). Expects the venv and
# the system packages to be in place (`make install system-deps`, which `make test` does).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-all}
shift || true
PYTEST=.venv/bin/pytest
[[ -x "$PYTEST" ]] || { echo "run-tests: $PYTEST not found; run 'make install' first" >&2; exit 1; }

header() { printf '\n==> %s\n' "$*"; }

free_port() {
    .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

run_sqlite() {
    header "pytest on SQLite${*:+ (args: $*)}"
    local rc=0
    env -u TEST_DATABASE_URL "$PYTEST" "$@" || rc=$?
    return "$rc"
}

PG_DIR=""
stop_pg() {
    if [[ -n "$PG_DIR" ]]; then
        header "Stopping the PostgreSQL cluster"
        scripts/pg-cluster.sh stop "$PG_DIR" || echo "run-tests: could not stop the cluster in $PG_DIR" >&2
        PG_DIR=""
    fi
}
trap stop_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run_postgres() {
    header "Starting a throwaway PostgreSQL cluster"
    local port url rc=0
    PG_DIR=$(mktemp -d /tmp/marketplace-pg.XXXXXX)
    port=$(free_port)
    url=$(scripts/pg-cluster.sh start "$PG_DIR" "$port") || { echo "run-tests: PostgreSQL did not start" >&2; return 1; }
    echo "TEST_DATABASE_URL=$url"
    header "pytest on PostgreSQL${*:+ (args: $*)}"
    TEST_DATABASE_URL="$url" "$PYTEST" "$@" || rc=$?
    stop_pg
    return "$rc"
}

describe() {
    case $1 in
    0) echo "passed" ;;
    5) echo "FAILED (no tests were collected, exit 5)" ;;
    *) echo "FAILED (exit $1)" ;;
    esac
}

case "$MODE" in
sqlite)
    run_sqlite "$@"
    ;;
postgres)
    run_postgres "$@"
    ;;
all)
    sqlite_rc=0
    pg_rc=0
    run_sqlite "$@" || sqlite_rc=$?
    run_postgres "$@" || pg_rc=$?
    header "Summary"
    echo "SQLite:     $(describe "$sqlite_rc")"
    echo "PostgreSQL: $(describe "$pg_rc")"
    ((sqlite_rc == 0 && pg_rc == 0))
    ;;
*)
    echo "usage: $0 sqlite|postgres|all [pytest args...]" >&2
    exit 2
    ;;
esac
