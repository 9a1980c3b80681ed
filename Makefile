# The two commands a newcomer needs:
#   make demo   set up, start the server and the realtime stand-in, place a simulated call
#   make test   run the test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench clean

$(VENV)/installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

demo: $(VENV)/installed
	./scripts/demo.sh

test: $(VENV)/installed
	$(PY) -m pytest

lint: $(VENV)/installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# Strict types on the sans-io core and the carrier packages (settings in pyproject.toml).
	$(PY) -m mypy --strict calls/bridge calls/carriers

bench: $(VENV)/installed
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .demo
