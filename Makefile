# The two commands: `make run` (serve on embedded defaults) and `make test` (everything CI checks).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# Front-end packages of the pages (Swagger UI, Leaflet, Chart.js, FlatGeobuf) from the npm registry.
WEB   := services/gsl_service/web
WEB_STAMP := $(WEB)/node_modules/.installed-$(shell cat $(WEB)/package-lock.json | sha1sum | cut -c1-12)
HOST  ?= 127.0.0.1
PORT  ?= 5000

.PHONY: run test install install-test lint typecheck openapi openapi-check pytest fuzz bench clean lock

$(PY):
	@py="$$(scripts/find-python.sh)" && "$$py" -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	npm ci --prefix $(WEB) --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

install: $(STAMP) $(WEB_STAMP)

run: install
	$(VENV)/bin/gsl serve --host $(HOST) --port $(PORT)

test: install
	@scripts/ensure-chromium.sh
	@scripts/with-redis.sh $(MAKE) --no-print-directory lint typecheck openapi-check pytest

lint:
	$(VENV)/bin/ruff check processes services tests benchmarks
	$(VENV)/bin/ruff format --check processes services tests benchmarks

typecheck:
	$(VENV)/bin/mypy

openapi: install
	$(VENV)/bin/gsl openapi --output openapi/openapi.json

openapi-check:
	$(VENV)/bin/gsl openapi --check openapi/openapi.json

pytest:
	$(VENV)/bin/pytest -q -p no:cacheprovider

# Wide random exploration (not in CI): fresh examples every run, GSL_FUZZ_SCALE x as many.
fuzz: install
	@scripts/with-redis.sh env HYPOTHESIS_PROFILE=explore GSL_FUZZ_SCALE=$${GSL_FUZZ_SCALE:-10} \
	  $(VENV)/bin/pytest -q -p no:cacheprovider -m "not e2e" tests/api/test_fuzz_bad_input.py tests/unit

bench: install
	@scripts/with-redis.sh bash -c 'for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done'

# The image's hashed lock (Dockerfile): every runtime dependency and hatchling (to build
# the wheel), pinned with sha256 hashes for CPython 3.12 on x86_64 Linux.
lock: install
	printf 'hatchling>=1.25\n' | $(VENV)/bin/uv pip compile pyproject.toml - --generate-hashes \
	  --python-version 3.12 --python-platform x86_64-manylinux_2_28 \
	  --custom-compile-command "make lock" --quiet -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
