# Two commands do all set-up on a fresh clone:
#   make run    serve the site on http://$(HOST):$(PORT) (SQLite in instance/)
#   make test   lint and run every test
HOST ?= 127.0.0.1
PORT ?= 5000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MEDIAN_BRIDGE_VERSION := 2.21.0

.PHONY: run test lint format serve bench clean

$(BIN)/flask: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(BIN)/flask
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The app family's own JavaScript bridge, for the browser tests; never committed.
node_modules/median-js-bridge/package.json:
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --no-save --no-audit --no-fund --silent median-js-bridge@$(MEDIAN_BRIDGE_VERSION); \
	else echo "npm not found: the median-js-bridge browser tests will skip"; fi

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

test: $(VENV)/.dev node_modules/median-js-bridge/package.json lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
