# The two commands: `make run` (portal with demo data on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
# Where `make run` serves the portal, e.g. `make run PORT=5001 HOST=0.0.0.0`.
HOST ?= 127.0.0.1
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint format browser pdf-libs clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime pdf-libs
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	@# An index left by an earlier version (or drifted) is rebuilt before serving.
	@$(BIN)/flask search verify >/dev/null 2>&1 || $(BIN)/flask search rebuild
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev browser pdf-libs
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

browser:
	@scripts/ensure-browser.sh

pdf-libs:
	@scripts/ensure-pdf-libs.sh

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
