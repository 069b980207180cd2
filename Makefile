# aide-jupyter: every target works on a fresh clone and is safe to run again.
#   make demo   - install, then JupyterLab on a copy of examples/ (PORT=8890 to pick the port)
#   make test   - install, then every suite: lint, pytest, jest, Playwright in Chromium
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Browser-dependent pytest checks (tree.html in Chromium) fail instead of skipping under make.
export AIDE_REQUIRE_CHROMIUM := 1
export YARN_ENABLE_PROGRESS_BARS := false
export YARN_ENABLE_TELEMETRY := false
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
CHROMIUM ?= /usr/bin/chromium

STAMP_PY := $(VENV)/.stamp-python
STAMP_NODE := node_modules/.stamp-node
STAMP_LAB := aide_jupyter/labextension/.stamp-build
STAMP_UI := ui-tests/node_modules/.stamp-node
TS_SOURCES := $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json

.PHONY: help install demo test test-python test-js test-ui check-extensions chromium bench lint lint-check clean

help:
	@echo "make demo    JupyterLab on a copy of examples/, the quickstart open (PORT=N optional)"
	@echo "make test    every test suite (installs first)"
	@echo "make install .venv with the package editable, npm deps, built extension"
	@echo "make bench   benchmarks/ (prints tables and ratios)"
	@echo "make lint    ruff + eslint/prettier (fixes what they can)"

$(STAMP_PY): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "jupyterlab>=4.2,<5" "hatchling>=1.5" "hatch-jupyter-builder>=0.5" "hatch-nodejs-version>=0.3.2" "editables"
	touch $@

$(STAMP_NODE): package.json yarn.lock .yarnrc.yml $(STAMP_PY)
	jlpm install
	touch $@

$(STAMP_LAB): $(TS_SOURCES) $(STAMP_NODE)
	jlpm build
	$(BIN)/python -m pip install --quiet --no-build-isolation -e ".[dev,test]"
	jupyter-builder develop --overwrite .
	jupyter server extension enable --sys-prefix aide_jupyter
	touch $@

install: $(STAMP_LAB)

# The demo runs on a copy of examples/ in an untracked folder, so running it (outputs, autosave)
# never modifies the tracked notebooks; the copy keeps your work between runs (delete it to reset).
DEMO_DIR ?= demo-workspace
PORT ?=
demo: install
	@mkdir -p $(DEMO_DIR) && cp -rn examples/. $(DEMO_DIR)/
	@echo "demo: working on a copy of examples/ in $(DEMO_DIR)/ (untracked; delete it to start afresh)"
	cd $(DEMO_DIR) && jupyter lab $(AS_ROOT) --ServerApp.root_dir=. \
	  --LabApp.default_url=/lab/tree/quickstart.ipynb \
	  $(if $(PORT),--ServerApp.port=$(PORT) --ServerApp.port_retries=0,)

check-extensions: install
	jupyter server extension list 2>&1 | grep -E "aide_jupyter .*OK"
	jupyter labextension list 2>&1 | grep -E "aide-jupyter .*OK"
	$(BIN)/python -m jupyterlab.browser_check --no-browser-test $(AS_ROOT)

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install -y chromium' (Debian) or set CHROMIUM=/path"; exit 1; \
	  fi; \
	fi

$(STAMP_UI): ui-tests/package.json ui-tests/yarn.lock $(STAMP_PY)
	cd ui-tests && jlpm install
	touch $@

test: install lint-check test-python test-js check-extensions test-ui

test-python: install chromium
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-js: install
	jlpm test

test-ui: install chromium $(STAMP_UI)
	cd ui-tests && AIDE_UI_TEST_PORT=$$($(BIN)/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') \
	  CHROMIUM_PATH=$(CHROMIUM) jlpm playwright test

bench: install
	@set -e; shopt -s nullglob; for b in benchmarks/*.py; do \
	  case $$b in *search_quality.py) continue;; esac; echo "== $$b"; $(BIN)/python $$b; done
	@echo "== benchmarks/search_quality.py --quick (the full run: see benchmarks/README.md)"
	PYTHONPATH=. $(BIN)/python benchmarks/search_quality.py --quick

lint: $(STAMP_NODE)
	$(BIN)/python -m pip install --quiet "ruff>=0.5"
	$(BIN)/ruff format aide_jupyter tests benchmarks
	$(BIN)/ruff check --fix aide_jupyter tests benchmarks
	jlpm lint

lint-check: install
	$(BIN)/ruff check aide_jupyter tests benchmarks
	$(BIN)/ruff format --check aide_jupyter tests benchmarks
	jlpm lint:check

clean:
	rm -rf $(VENV) node_modules ui-tests/node_modules lib aide_jupyter/labextension tsconfig.tsbuildinfo
