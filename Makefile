# The two commands a newcomer needs:
#   make demo   set up, start the server and the realtime stand-in, place a simulated call
#   make test   run the test suite: on SQLite, then (when PostgreSQL is installed) on PostgreSQL
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench bench-search bench-setup clean

$(VENV)/installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

demo: $(VENV)/installed
	./scripts/demo.sh

# Five pytest processes at once (tests/run_all.py), each ending with pytest's own summary line:
# the whole suite on SQLite (the embedded default) and the database-dependent suites on throwaway
# PostgreSQL clusters (tests/postgres_run.py; one line saying each is skipped when PostgreSQL is
# not installed; a failure with REQUIRE_POSTGRES=1), split into the end-to-end tests and the rest.
test: $(VENV)/installed
	$(PY) -m tests.run_all

lint: $(VENV)/installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# Strict types on the sans-io core and the carrier packages (settings in pyproject.toml).
	$(PY) -m mypy --strict calls/bridge calls/carriers
	# The import contracts (pyproject.toml): the core imports nothing of ours, the apps stack one way.
	$(VENV)/bin/lint-imports

bench: $(VENV)/installed
	$(PY) bench/run.py

bench-search: $(VENV)/installed
	$(PY) bench/search.py

bench-setup: $(VENV)/installed
	$(PY) bench/setup_cost.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .demo
