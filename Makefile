# Two commands do all set-up on a fresh clone:
#   make run    serve the site on http://$(HOST):$(PORT) (SQLite in instance/)
#   make test   lint and run every test
HOST ?= 127.0.0.1
PORT ?= 5000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MEDIAN_BRIDGE_VERSION := 2.21.0
AXE_CORE_VERSION := 4.14.1

.PHONY: run test lint format serve bench clean

$(BIN)/flask: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(BIN)/flask
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# For the browser tests, never committed: the app family's own JavaScript
# bridge, and axe-core, the accessibility checker run on every page. Both are
# installed in one call: `--no-save` removes what a call does not name.
NODE_PACKAGES := median-js-bridge@$(MEDIAN_BRIDGE_VERSION) axe-core@$(AXE_CORE_VERSION)

node_modules/.pushlab-$(MEDIAN_BRIDGE_VERSION)-$(AXE_CORE_VERSION):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --no-save --no-audit --no-fund --silent $(NODE_PACKAGES) && touch $@; \
	else echo "npm not found: the median-js-bridge and axe-core browser tests will skip"; fi

run: $(BIN)/flask
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

serve: $(BIN)/flask
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(VENV)/.dev node_modules/.pushlab-$(MEDIAN_BRIDGE_VERSION)-$(AXE_CORE_VERSION) lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
