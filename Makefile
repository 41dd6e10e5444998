# 数园区 scenario marketplace: build, run and test. GNU make; works from a clean clone.
#
#   make run            venv + pip + npm ci (only when their inputs changed), migrate, demo seed,
#                       serve on $HOST:$PORT (default 127.0.0.1:8000; DATABASE_URL respected),
#                       with a managed Meilisearch under var/ unless MEILI_URL is set
#   make test           lint, then the whole suite on SQLite and on a throwaway PostgreSQL cluster,
#                       side by side (logs: test-results/pytest-sqlite.log, pytest-postgres.log)
#   make lint           ruff check, ruff format --check and mypy (config in pyproject.toml)
#   make test-sqlite    just the SQLite run        make test-postgres   just the PostgreSQL run
#   PYTEST_ARGS='-x -k scenarios' make test        extra arguments for pytest
#   make constraints    re-pin constraints.txt from .venv after changing pyproject.toml
#   make bench-matching the matching benchmark (figures in BENCHMARKS.md)
#   make bench-search   the search benchmark: 100,000 scenarios, Meilisearch vs API vs fallback;
#                       BENCH_SEARCH_ARGS='--scenarios 10000' for the 10,000 run
#   make bench-load     wrk on pages and API beside a minimal Litestar page (SQLite 1 worker,
#                       PostgreSQL 2 workers); BENCH_LOAD_ARGS='--databases sqlite --duration 5'
#   make bench-ocds     building every OCDS release of the demo programme (SQLite)
#   make bench-import   marketplace import of 100,000 generated scenarios, twice (SQLite);
#                       BENCH_IMPORT_ARGS='--database postgres --scenarios 10000'
#   make bench-suggest  pinyin forms, suggestion vocabulary, as-you-type and "did you mean" speed
#   make reindex        rebuild the search indexes from the database (fresh indexes + swap)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1
# swagger-ui-dist depends on @scarf/scarf, an install-time analytics hook: opt out (and npm ci
# runs with --ignore-scripts anyway; the assets need no build step).
export SCARF_ANALYTICS := false

header = @printf '\n==> %s\n' "$(1)"

.PHONY: help venv install run system-deps lint test test-sqlite test-postgres constraints clean bench-matching bench-search bench-load bench-import bench-suggest bench-ocds reindex

help:
	@sed -n '1,/^$$/p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

# --- install -------------------------------------------------------------------------------

$(BIN)/python:
	$(call header,Creating the virtualenv in $(VENV) with $(PYTHON))
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python

# Reinstalls only when pyproject.toml or constraints.txt changed since the last success.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(call header,Installing Python packages (pip install -c constraints.txt -e '.[test]'))
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

# npm ci wipes node_modules/, stamp included, then installs exactly package-lock.json.
node_modules/.installed: package.json package-lock.json
	$(call header,Installing front-end assets (npm ci))
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed node_modules/.installed

# --- run -----------------------------------------------------------------------------------

run: install
	$(call header,Migrating the database)
	$(BIN)/marketplace migrate
	$(call header,Seeding demo data)
	$(BIN)/marketplace seed-demo
	$(call header,Serving on http://$${HOST:-127.0.0.1}:$${PORT:-8000})
	exec $(BIN)/marketplace serve

# --- test ----------------------------------------------------------------------------------

system-deps:
	$(call header,Checking Debian packages (chromium, fonts-wqy-microhei, postgresql, wrk))
	scripts/system-deps.sh

# Findings are fixed, not silenced (DESIGN.md, habit 11).
lint: install
	$(call header,Lint: ruff check + ruff format --check + mypy)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# lint first: a finding fails the run before the (slow) suite starts.
test: install lint system-deps
	scripts/run-tests.sh all $(PYTEST_ARGS)

test-sqlite: install system-deps
	scripts/run-tests.sh sqlite $(PYTEST_ARGS)

test-postgres: install system-deps
	scripts/run-tests.sh postgres $(PYTEST_ARGS)

# --- benchmarks (figures go to BENCHMARKS.md; never timed assertions in tests) -------------------

bench-matching: install
	$(call header,Matching benchmark: 50000 companies x 10000 scenarios in memory)
	$(BIN)/python bench/bench_matching.py

BENCH_SEARCH_ARGS ?=
bench-search: install
	$(call header,Search benchmark: reindex and query latency - 100000 scenarios unless BENCH_SEARCH_ARGS='--scenarios 10000')
	$(BIN)/python bench/bench_search.py $(BENCH_SEARCH_ARGS)

BENCH_LOAD_ARGS ?=
bench-load: install system-deps
	$(call header,Load benchmark: wrk on pages and API beside a minimal Litestar page)
	$(BIN)/python bench/bench_load.py $(BENCH_LOAD_ARGS)

BENCH_IMPORT_ARGS ?=
bench-import: install
	$(call header,Import benchmark: marketplace import of generated scenarios (first and second run))
	$(BIN)/python bench/bench_import.py $(BENCH_IMPORT_ARGS)

bench-suggest: install
	$(call header,Suggestion benchmark: pinyin forms, vocabulary build, suggest and correct)
	$(BIN)/python bench/bench_suggest.py

bench-ocds: install
	$(call header,Open data benchmark: every OCDS release of the demo programme)
	$(BIN)/python bench/bench_ocds.py $(BENCH_OCDS_ARGS)

reindex: install
	$(BIN)/marketplace reindex

# --- maintenance ---------------------------------------------------------------------------

constraints: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	scripts/freeze-constraints.sh

clean:
	rm -rf $(VENV) node_modules test-results .pytest_cache marketplace.egg-info
