# The two commands a new user needs: `make run` and `make test` (`make` alone lists every target).
# Both create .venv and install the pinned dependencies on first use: `make run` only what running
# needs (requirements/run.txt) and the `x-dm-channel` command, `make test` the tools as well (requirements/dev.txt).

# The Lambda runtime's Python (3.13) when the machine has one that runs (pyenv's included), else python3 (3.11+).
PYTHON ?= $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo "$$p"; break; }; done)
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.python-$(PY_VERSION)
RUN_STAMP := $(VENV)/.run-$(shell cat requirements/run.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.dev-$(shell cat requirements/run.txt requirements/dev.txt | cksum | cut -d' ' -f1)
LOCAL_PATH := PYTHONPATH=layers/shared:.

export SAM_CLI_TELEMETRY := 0

.DEFAULT_GOAL := help
.PHONY: help run test unit integration future e2e drill lint typecheck scan browser events bench screenshot docs build deploy destroy clean

# The stack deploy and destroy work on: empty for the one samconfig.toml names (x-dm-channel at first).
STACK ?=

# The security scan runs checkov from a virtual environment of its own (its pins would clash with ours).
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed-$(PY_VERSION)-$(shell cat requirements/scan.txt | cksum | cut -d' ' -f1)

# The benchmark runs where only the Lambda runtime's packages are (no dev tools on the import path).
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-$(PY_VERSION)-$(shell cat requirements/bench.txt layers/deps/requirements.txt | cksum | cut -d' ' -f1)

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# A venv made with another Python is replaced only when the user chose that Python (PYTHON=...); else make stops
# and says so (a `make run` may be using it). The stamps go with the old venv, so everything is installed again.
$(VENV_STAMP):
	@test -n "$(PY_VERSION)" || { echo "Python 3.11 or newer is needed (python3 on PATH, or PYTHON=...)"; exit 1; }
	@made=$$($(VENV)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
	if [ -n "$$made" ] && [ "$$made" != "$(PY_VERSION)" ] && [ "$(origin PYTHON)" = file ]; then \
		echo "$(VENV) is for Python $$made, but this shell finds Python $(PY_VERSION) ($(PYTHON)); nothing was changed: make Python $$made findable, or choose: \`make clean\`, or PYTHON=$(PYTHON) make ..."; \
		exit 1; \
	fi; \
	if [ -d $(VENV) ]; then echo "Replacing $(VENV) (Python $${made:-that no longer runs}) with one for Python $(PY_VERSION)"; fi
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(RUN_STAMP): requirements/run.txt $(VENV_STAMP)
	$(BIN)/python -m pip install --quiet -r requirements/run.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	rm -f $(VENV)/.run-*
	touch $@

$(DEV_STAMP): requirements/run.txt requirements/dev.txt $(VENV_STAMP)
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	rm -f $(VENV)/.dev-* $(VENV)/.run-*
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP) ## the whole pipeline locally (moto, fake X, the functions) and the DM simulator on :3000
	$(LOCAL_PATH) $(BIN)/python -m devstack.run

test: lint typecheck scan browser $(DEV_STAMP) ## lint, type checks, the security scan, every test tier (installs Chromium), and `make future`
	$(BIN)/pytest
	$(MAKE) --no-print-directory future

unit: $(DEV_STAMP) ## the unit tier only (no network, no subprocess): seconds
	$(BIN)/pytest tests/unit

integration: $(DEV_STAMP) ## the integration tier (moto, the local fakes over HTTP, sam build)
	$(BIN)/pytest tests/integration

future: $(DEV_STAMP) ## the unit and integration tiers again on a clock a year ahead: no test leans on today's date
	$(BIN)/pytest -q --clock-ahead-days=365 tests/unit tests/integration

e2e: $(DEV_STAMP) browser ## the end-to-end tier (`make run` as a subprocess, the simulator in Chromium)
	$(BIN)/pytest tests/e2e

drill: $(RUN_STAMP) ## fault drills against the local stack, full size: what happened to every DM, in a table
	$(LOCAL_PATH) $(BIN)/python -m devstack.drill

lint: $(DEV_STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP) ## mypy --strict over everything
	$(BIN)/mypy

$(SCAN_STAMP): requirements/scan.txt
	rm -rf $(SCAN_VENV)
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet -r requirements/scan.txt
	rm -f $(SCAN_VENV)/.installed-*
	touch $@

scan: $(SCAN_STAMP) ## checkov over template.yaml: every finding fixed or suppressed in the template with its reason
	BC_SKIP_MAPPING=TRUE $(SCAN_VENV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download

# The simulator's browser test drives Debian's Chromium (no browser download).
browser: ## install Debian's Chromium if it is missing
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Chromium (Debian package) for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

screenshot: $(DEV_STAMP) browser ## refresh docs/simulator.png from the browser test
	SIMULATOR_SCREENSHOT=docs/simulator.png $(BIN)/pytest -q tests/e2e/test_simulator_browser.py

events: $(DEV_STAMP) ## write the sample events in events/ again
	$(LOCAL_PATH) $(BIN)/python -m devstack.sample_events

docs: $(RUN_STAMP) ## write docs/configuration.md again from template.yaml, and the measured tables from docs/measured.json
	$(LOCAL_PATH) $(BIN)/python scripts/docs.py

$(BENCH_STAMP): requirements/bench.txt layers/deps/requirements.txt
	rm -rf $(BENCH_VENV)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --no-deps -r layers/deps/requirements.txt
	$(BENCH_VENV)/bin/python -m pip install --quiet -r requirements/bench.txt
	rm -f $(BENCH_VENV)/.installed-*
	touch $@

bench: $(BENCH_STAMP) $(DEV_STAMP) ## cold start against import boto3; latency, throughput and cost per million DMs locally; XChat crypto
	PYTHONPATH=. $(BENCH_VENV)/bin/python scripts/bench_cold_start.py
	$(LOCAL_PATH) $(BIN)/python scripts/bench_pipeline.py
	$(LOCAL_PATH) $(BIN)/python scripts/bench_cost.py
	$(LOCAL_PATH) $(BIN)/python scripts/bench_xchat.py

build: $(DEV_STAMP) ## sam build (no Docker needed), the dashboard's body from dashboard.json
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam build
	$(LOCAL_PATH) $(BIN)/python scripts/include_dashboard.py

# AWS checked first (credentials and region, one line each, before building); the first time, a few
# questions (scripts/deploy.py); PARAMETERS="BotKind=http BotUrl=https://..." sets template parameters.
deploy: $(DEV_STAMP) ## check AWS, sam build, sam deploy (at most 6 questions the first time), then the outputs
	@STACK=$(STACK) SAM=$(BIN)/sam $(LOCAL_PATH) $(BIN)/python scripts/deploy.py

# At X first (the stack's accounts unsubscribed, its webhook deleted), then the stack; every step asks first.
# The stack is STACK, else the one the first `make deploy` saved in samconfig.toml.
destroy: $(DEV_STAMP) ## remove the channel: unsubscribe at X, delete the webhook, delete the stack (each step asked)
	stack=$$(STACK=$(STACK) $(LOCAL_PATH) $(BIN)/python scripts/deploy.py --stack-name) && \
	$(BIN)/x-dm-channel teardown --stack $$stack && \
	$(BIN)/sam delete --stack-name $$stack

clean: ## remove the virtual environments and build output
	rm -rf $(VENV) $(BENCH_VENV) $(SCAN_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
