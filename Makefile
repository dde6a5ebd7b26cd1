# DGM Lab: `make run` sets up and starts the app; `make test` sets up and runs every test; `make check` is the fast
# tier (lint, and the core and page tests that need no browser or server: under 3 minutes on two cores).
# All work on a fresh clone with Python 3.11 and Node 20 installed (make test also installs chromium and nginx with apt).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test check lint lint-js test-js test-js-fast manifest setup setup-dev chromium nginx clean

run: $(VENV)/.deps
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Everything, on both cores (pytest-xdist): the core and page tests, then the browser tests, each of the two
# workers with a Streamlit server and a chromium of its own (their bars are wide enough for a shared machine). Each
# suite ends with its slowest tests (`bench suite_time` measures the whole against its twenty minutes).
test: $(VENV)/.deps-dev chromium nginx lint test-js
	$(PY) -m pytest -n 2 --durations=20 --ignore=tests/e2e
	$(PY) -m pytest -n 2 --durations=20 tests/e2e

# The fast tier: lint, then every test but the browser tests and those measured slow (tests/slow_tests.json, written
# by tools/measure_slow.py; tests/conftest.py marks them; of Node's, JS_SLOW).
check: $(VENV)/.deps-dev lint test-js-fast
	$(PY) -m pytest -n 2 -m "not slow" --ignore=tests/e2e

lint: $(VENV)/.deps-dev node_modules/.deps
	$(VENV)/bin/ruff check .
	npx --no-install eslint .

# The browser's maths under Node's test runner, against fixtures dgm_core writes (tests/js; seconds, no browser).
test-js: $(VENV)/.deps-dev node_modules/.deps
	node --test tests/js/

JS_SLOW := tests/js/tabular/same_seed.test.mjs  # half a minute (two trainings on each side): make test runs it
test-js-fast: $(VENV)/.deps-dev node_modules/.deps
	node --test $(filter-out $(JS_SLOW),$(shell find tests/js -name '*.test.mjs' | sort))

# static/js/manifest.json: the facts and module hashes the browser reads (after editing a module under static/js)
manifest: $(VENV)/.deps
	$(PY) -m server manifest

setup: $(VENV)/.deps
setup-dev: $(VENV)/.deps-dev node_modules/.deps

$(VENV)/.deps: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.deps-dev: $(VENV)/.deps requirements-dev.txt
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

# ESLint and onnxruntime-node, exactly as package-lock.json pins them (onnxruntime-node's CPU build is in its package:
# its install script, which would fetch the CUDA build, is skipped)
node_modules/.deps: package.json package-lock.json
	ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
	touch $@

# A real browser for tests/e2e: Debian's chromium (never `playwright install`, which downloads one).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

# Debian's nginx for tests/test_nginx_replicas.py (two app replicas behind it, server/replicas.py); the test skips
# without it. Only the binary is used: nothing is started as a service.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q nginx; }

clean:
	rm -rf $(VENV) .pytest_cache node_modules
