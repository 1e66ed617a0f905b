# The verbs a newcomer needs. `make` alone lists them.
#
# Two virtualenvs, never one (STYLE.md 5.9): .venv holds the runtime + dev dependencies of the
# code; .venv-sam holds the SAM CLI and cfn-lint, which pin their own pydantic/boto3 and would
# fight the runtime pins if installed beside them.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
CFN_LINT := $(SAM_VENV)/bin/cfn-lint

SAM_CLI_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
# Spectral lints the OpenAPI document (.spectral.yaml). Node.js 20 and npm are all it needs: npx
# fetches this exact version from the npm registry into npm's cache on first use.
SPECTRAL_CLI_VERSION := 6.16.3
OPENAPI_DOCUMENT := functions/docs/openapi.json

# The Python 3.13 interpreter: the first that really runs as 3.13 (a pyenv shim named python3.13
# exists even where it refuses to run), resolved to the real executable so that later calls do
# not depend on PYENV_VERSION. Like `PYTHON313 ?=`, but looked up once per make run.
ifeq ($(origin PYTHON313),undefined)
PYTHON313 := $(shell for p in python3.13 $(HOME)/.pyenv/versions/3.13*/bin/python; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13); print(sys.executable)' 2>/dev/null \
	&& break; done)
endif

# Environment for every SAM CLI call: no telemetry, and `python3.13` on PATH, which `sam build`
# needs for BuildMethod python3.13 (STYLE.md 5.9). The interpreter's own directory goes first, so
# this works with or without pyenv; when that interpreter is a pyenv version, PYENV_VERSION
# (e.g. 3.13.0:3.11.7) also makes pyenv's shims answer for 3.13 and keeps the global version.
PYENV_313 := $(shell r=$$(pyenv root 2>/dev/null) && case "$(PYTHON313)" in ("$$r"/versions/*) \
	p="$(PYTHON313)"; p="$${p#"$$r"/versions/}"; echo "$${p%%/*}";; esac)
PYENV_GLOBAL := $(if $(PYENV_313),$(shell pyenv global 2>/dev/null | head -n1))
SAM_ENV = SAM_CLI_TELEMETRY=0 PATH="$(dir $(PYTHON313)):$$PATH" \
	$(if $(PYENV_313),PYENV_VERSION="$(PYENV_313)$(if $(PYENV_GLOBAL),:$(PYENV_GLOBAL))")

ENV ?= default
ARGS ?=
PYTEST_ARGS ?=

.PHONY: help install dev test lint lint-openapi validate build openapi bench bench-cold loadtest deploy clean \
	check-python

help: ## list the verbs
	@echo "Agenda API: make <verb>"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-13s %s\n", $$1, $$2}'
	@echo "Variables: ENV=$(ENV) (deploy: default|prod), ARGS (dev, loadtest), PYTEST_ARGS (test)"

check-python:
	@[ -n "$(PYTHON313)" ] || { echo "Python 3.13 not found: set PYTHON313=/path/to/python3.13" >&2; exit 1; }

# Stamp files: `make install` again is a no-op unless pyproject.toml (or the pins here) changed.
$(VENV)/.installed: pyproject.toml | check-python
	[ -x $(PY) ] || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

# The stamp carries the pinned versions, so changing a pin reinstalls and nothing else does.
SAM_STAMP := $(SAM_VENV)/.installed-sam$(SAM_CLI_VERSION)-cfnlint$(CFN_LINT_VERSION)

$(SAM_STAMP): | check-python
	[ -x $(SAM_VENV)/bin/python ] || $(PYTHON313) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		"aws-sam-cli==$(SAM_CLI_VERSION)" "cfn-lint==$(CFN_LINT_VERSION)"
	rm -f $(SAM_VENV)/.installed-*
	touch $@

install: $(VENV)/.installed $(SAM_STAMP) ## create .venv (code + dev tools) and .venv-sam (SAM CLI, cfn-lint)

dev: $(VENV)/.installed ## run the Docker-free local server (ARGS=... passed on)
	$(PY) -m local.server $(ARGS)

test: $(VENV)/.installed ## run the test suite (PYTEST_ARGS=... passed on)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed ## ruff, ruff format --check, mypy, import-linter contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PYTHONPATH=layers/agenda_core $(VENV)/bin/lint-imports

validate: $(SAM_STAMP) lint-openapi ## sam validate --lint and cfn-lint (offline), and lint-openapi
	$(SAM_ENV) $(SAM) validate --lint --config-env $(ENV) --template-file template.yaml
	$(CFN_LINT) template.yaml

lint-openapi: ## Spectral (spectral:oas) on the OpenAPI document: fails on any error
	@command -v npx >/dev/null || { echo "Spectral needs Node.js 20+ with npm (npx) on PATH" >&2; exit 1; }
	npx --yes @stoplight/spectral-cli@$(SPECTRAL_CLI_VERSION) lint $(OPENAPI_DOCUMENT) \
		--ruleset .spectral.yaml --fail-severity=error

# After `sam build`, compile bytecode for the runtime (STYLE.md 5.14). Lambda's code directories
# are read-only, so a module without usable bytecode in the artefact is compiled again, in
# memory, at every cold start. Checked on SAM CLI 1.170: `sam build` wipes .aws-sam/build/<id>
# and leaves no .pyc at all (neither our code nor the layer's libraries), and `sam package` zips
# every file with a 1980 timestamp, so timestamp-based .pyc would look stale anyway. Hence:
# python3.13 (the runtime's bytecode version), unchecked-hash (no source stat or hash at import;
# safe because this step recompiles everything after every build), -f to replace whatever is
# there. The .so files are aarch64 wheels and are not touched.
build: $(SAM_STAMP) ## sam build, then compile .pyc for python3.13 into the artefacts
	$(SAM_ENV) $(SAM) build --config-env $(ENV) --template-file template.yaml
	$(PYTHON313) -m compileall -q -f -j0 --invalidation-mode unchecked-hash .aws-sam/build/*/

openapi: $(VENV)/.installed ## write the merged OpenAPI document
	$(PY) scripts/build_openapi.py

# The peers' packages (pyproject's `bench` extra: FastAPI, Starlette, Mangum, Chalice) for
# `make bench` only: never in the layer, nor in what `make install` gives every other verb. The
# measured children get their own copies (bench/peer_site.py); .venv's are for in-process checks
# (tests/integration/test_bench_peers.py skips a peer without them).
$(VENV)/.installed-bench: $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	touch $@

bench: $(VENV)/.installed-bench ## run the benchmarks, peers included (results recorded under bench/)
	$(PY) -m bench.run

# Only the cold starts, with where their time goes: for working on them (writes nothing).
bench-cold: $(VENV)/.installed ## cold starts only, quickly (ARGS="--restored", "--profile", function names)
	$(PY) -m bench.cold $(ARGS)

# Starts its own local servers on free ports (or ARGS="--url http://127.0.0.1:3000" for a running
# `make dev`), stops by itself within two minutes, writes bench/LOADTEST.md.
loadtest: $(VENV)/.installed ## burst of app opens on one agenda against the local server (ARGS=...)
	$(PY) -m bench.loadtest $(ARGS)

deploy: build ## deploy the stack of ENV (default = dev, prod)
	$(SAM_ENV) $(SAM) deploy --config-env $(ENV)

clean: ## remove build artefacts and caches (not the virtualenvs)
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -path ./$(SAM_VENV) -prune -o -name __pycache__ -type d -print0 \
		| xargs -0 rm -rf
