#!/usr/bin/env bash
# Run the test suite on SQLite, on a throwaway PostgreSQL cluster, or both.
#
#   scripts/run-tests.sh sqlite   [pytest args...]   TEST_DATABASE_URL unset: a temp SQLite file
#   scripts/run-tests.sh postgres [pytest args...]   a fresh cluster (scripts/pg-cluster.sh) on a
#                                                    free port; TEST_DATABASE_URL points at it
#   scripts/run-tests.sh all      [pytest args...]   both at the same time (each pytest mostly
#                                                    waits on the database, Meilisearch, the
#                                                    browser and subprocesses, so two runs share
#                                                    the cores well); fails if either did
#
# In `all` mode each run writes its whole output to its own log, test-results/pytest-sqlite.log
# and test-results/pytest-postgres.log; a progress line is printed every minute, and both logs
# are printed in full at the end, one after the other, before the summary. Browser failure
# screenshots go to test-results/sqlite/ and test-results/postgres/ (TEST_RESULTS_DIR).
#
# The cluster is stopped and removed whatever happens to the tests (trap); on Ctrl-C or SIGTERM
# the running pytest processes get SIGINT, so their fixtures stop the servers they started.
# Expects the venv and the system packages to be in place (`make install system-deps`, which
# `make test` does).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-all}
shift || true
PYTEST=.venv/bin/pytest
[[ -x "$PYTEST" ]] || { echo "run-tests: $PYTEST not found; run 'make install' first" >&2; exit 1; }
RESULTS=test-results
PROGRESS_EVERY=${RUN_TESTS_PROGRESS_EVERY:-60}

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
PG_URL=""
stop_pg() {
    if [[ -n "$PG_DIR" ]]; then
        header "Stopping the PostgreSQL cluster"
        scripts/pg-cluster.sh stop "$PG_DIR" || echo "run-tests: could not stop the cluster in $PG_DIR" >&2
        PG_DIR=""
    fi
}

start_pg() {
    header "Starting a throwaway PostgreSQL cluster"
    local port
    PG_DIR=$(mktemp -d /tmp/marketplace-pg.XXXXXX)
    port=$(free_port)
    PG_URL=$(scripts/pg-cluster.sh start "$PG_DIR" "$port") || { echo "run-tests: PostgreSQL did not start" >&2; return 1; }
    echo "TEST_DATABASE_URL=$PG_URL"
}

# pids of the pytest runs started in `all` mode (each the leader of its own process group).
CHILDREN=()
interrupt_children() {
    local pid
    for pid in "${CHILDREN[@]}"; do
        kill -INT "$pid" 2>/dev/null || true
    done
    for pid in "${CHILDREN[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    CHILDREN=()
}
LOGS=()
on_signal() {
    local log
    if ((${#CHILDREN[@]})); then
        interrupt_children
        for log in "${LOGS[@]}"; do
            header "Interrupted: the end of $log"
            tail -n 15 "$log" || true
        done
    fi
    exit "$1"
}
trap stop_pg EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

run_postgres() {
    local rc=0
    start_pg || return 1
    header "pytest on PostgreSQL${*:+ (args: $*)}"
    TEST_DATABASE_URL="$PG_URL" "$PYTEST" "$@" || rc=$?
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

# The last progress figure pytest wrote to a log ("[ 42%]"), or "starting".
progress_of() {
    local found
    found=$(tail -c 4000 "$1" 2>/dev/null | grep -o '\[ *[0-9]*%\]' | tail -n 1 | tr -d '[] ') || true
    echo "${found:-starting}"
}

run_both() {
    local sqlite_log=$RESULTS/pytest-sqlite.log pg_log=$RESULTS/pytest-postgres.log
    local sqlite_rc=0 pg_rc=0 pg_started=1 sqlite_pid pg_pid start elapsed
    mkdir -p "$RESULTS"
    LOGS=("$sqlite_log" "$pg_log")
    start_pg || pg_started=0
    start=$SECONDS
    header "pytest on SQLite and on PostgreSQL side by side${*:+ (args: $*)}"
    echo "SQLite log:     $sqlite_log"
    echo "PostgreSQL log: $pg_log"
    # Job control: each run in its own process group, with SIGINT not ignored (a background job
    # of a script would ignore it), so interrupt_children can stop it cleanly.
    set -m
    env -u TEST_DATABASE_URL TEST_RESULTS_DIR="$RESULTS/sqlite" \
        "$PYTEST" -o cache_dir=.pytest_cache/sqlite "$@" >"$sqlite_log" 2>&1 &
    sqlite_pid=$!
    CHILDREN+=("$sqlite_pid")
    if ((pg_started)); then
        TEST_DATABASE_URL="$PG_URL" TEST_RESULTS_DIR="$RESULTS/postgres" \
            "$PYTEST" -o cache_dir=.pytest_cache/postgres "$@" >"$pg_log" 2>&1 &
        pg_pid=$!
        CHILDREN+=("$pg_pid")
    else
        echo "run-tests: PostgreSQL did not start; only the SQLite run goes ahead" >"$pg_log"
    fi
    set +m

    local next_report=$PROGRESS_EVERY
    while kill -0 "$sqlite_pid" 2>/dev/null || { ((pg_started)) && kill -0 "$pg_pid" 2>/dev/null; }; do
        sleep 1
        elapsed=$((SECONDS - start))
        if ((elapsed >= next_report)); then
            next_report=$((elapsed + PROGRESS_EVERY))
            printf '    %dm%02ds  SQLite %s  PostgreSQL %s\n' $((elapsed / 60)) $((elapsed % 60)) \
                "$(progress_of "$sqlite_log")" "$( ((pg_started)) && progress_of "$pg_log" || echo "not started")"
        fi
    done
    wait "$sqlite_pid" || sqlite_rc=$?
    if ((pg_started)); then
        wait "$pg_pid" || pg_rc=$?
    else
        pg_rc=1
    fi
    CHILDREN=()
    elapsed=$((SECONDS - start))
    stop_pg

    header "pytest on SQLite (output of $sqlite_log)"
    cat "$sqlite_log"
    header "pytest on PostgreSQL (output of $pg_log)"
    cat "$pg_log"
    header "Summary (both runs took $((elapsed / 60))m$(printf '%02d' $((elapsed % 60)))s wall-clock)"
    echo "SQLite:     $(describe "$sqlite_rc")"
    echo "PostgreSQL: $(describe "$pg_rc")"
    ((sqlite_rc == 0 && pg_rc == 0))
}

case "$MODE" in
sqlite)
    run_sqlite "$@"
    ;;
postgres)
    run_postgres "$@"
    ;;
all)
    run_both "$@"
    ;;
*)
    echo "usage: $0 sqlite|postgres|all [pytest args...]" >&2
    exit 2
    ;;
esac
