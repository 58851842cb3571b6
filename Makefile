# One entry point for people and CI. Every target installs what it needs first.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FRONTEND_STAMP := frontend/node_modules/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)


.PHONY: test-api-only
.PHONY: install run test lint test-py test-frontend test-e2e postgres browser bench bench-smoke space clean

install: $(STAMP) frontend-install

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

frontend-install:
	@if [ -f frontend/package.json ]; then \
	  if [ ! -f $(FRONTEND_STAMP) ] || [ frontend/package-lock.json -nt $(FRONTEND_STAMP) ]; then \
	    (cd frontend && npm ci --no-audit --no-fund) && touch $(FRONTEND_STAMP); \
	  fi; \
	fi

frontend-build: frontend-install
	@if [ -f frontend/package.json ]; then (cd frontend && npm run build); fi

run: install frontend-build
	$(BIN)/automl serve

lint: $(STAMP)
	$(BIN)/ruff check src worker tests bench
	$(BIN)/mypy

# Tests that need PostgreSQL run against the real server; start it when this machine has it stopped.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start"; exit 1

# Debian's Chromium drives the browser tests (test tools' own browser downloads fail here).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test-py: $(STAMP) postgres
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-frontend: frontend-install
	@if [ -f frontend/package.json ]; then (cd frontend && npm test); fi

test-e2e: $(STAMP) frontend-build browser
	@if [ -f frontend/package.json ]; then (cd frontend && npm run e2e); fi

test: install lint test-py test-frontend test-e2e bench-smoke

# The API suite in a venv without the worker extra, against the real Gradio worker (tests/test_api_without_worker.py).
test-api-only: $(STAMP) postgres
	AUTOML_API_ONLY_SUITE=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_api_without_worker.py

bench: $(STAMP)
	$(BIN)/pip install -q -c constraints.txt -e ".[bench]"
	$(BIN)/python -m bench

bench-smoke: $(STAMP)
	@if [ -f bench/__main__.py ]; then $(BIN)/python -m bench --smoke; fi

space:
	$(BIN)/python -m automl_worker.space space-dist

clean:
	rm -rf $(VENV) frontend/node_modules frontend/out var space-dist
