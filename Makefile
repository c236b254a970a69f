# Two commands set everything up on a fresh Debian machine with Python 3.11: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
THREADS ?= 8
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
PDF_DEBS := fonts-noto-cjk fonts-liberation2 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
BROWSER_DEBS := chromium poppler-utils $(PDF_DEBS)

.PHONY: run dev test lint format translations compile-translations db-upgrade secret pdf-deps browser-deps nginx-deps bench lighthouse clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP_RUN): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(STAMP_TEST): requirements-test.txt requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@ $(STAMP_RUN)

compile-translations: $(STAMP_RUN)
	$(BIN)/pybabel compile -d translations

secret: $(STAMP_RUN)
	$(BIN)/python -m webapp.secret instance

db-upgrade: $(STAMP_RUN) secret
	$(BIN)/flask --app webapp db upgrade

## The PDF summaries need Pango, HarfBuzz's subsetter and fonts with Chinese glyphs (Debian's packages).
pdf-deps:
	@if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0" \
	    || ! ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	    apt-get install -y -qq --no-install-recommends $(PDF_DEBS) >/dev/null; \
	  else echo "Fonts or PDF libraries missing and not root: PDF downloads will answer 503 until they are installed."; fi; \
	fi

## make run: install, compile translations, migrate the SQLite default, serve on http://127.0.0.1:$(PORT)
run: $(STAMP_RUN) pdf-deps compile-translations db-upgrade
	WEB_BIND=127.0.0.1:$(PORT) WEB_WORKERS=$(WORKERS) WEB_THREADS=$(THREADS) $(BIN)/gunicorn -c deploy/gunicorn.conf.py 'webapp:create_app()'

## make dev: the same with Flask's reloader
dev: $(STAMP_RUN) compile-translations db-upgrade
	$(BIN)/flask --app webapp run --debug --port $(PORT)

## Chromium from Debian's packages for the browser tests, and what the PDFs need: Pango and HarfBuzz's subsetter for
## WeasyPrint (without libharfbuzz-subset0 it subsets fonts ten times slower), Noto Sans CJK for Chinese,
## Liberation Sans (Arial's metrics) for Latin text, and poppler-utils (pdftoppm) to look at the pages.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
	    || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! fc-list 2>/dev/null | grep -qi "Liberation Sans" \
	    || ! ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0" \
	    || ! ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	    apt-get install -y -qq --no-install-recommends $(BROWSER_DEBS) >/dev/null; \
	  else echo "Chromium, fonts or PDF libraries missing and not root: browser and PDF tests will be skipped or fail."; fi; \
	fi

## nginx (Debian's package) and openssl for the deployment test (tests/test_deploy.py: nginx in front of two
## app processes, as deploy/ describes). Only the binary is used: the test runs its own nginx on local ports.
nginx-deps:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] || ! command -v openssl >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	    apt-get install -y -qq --no-install-recommends nginx openssl >/dev/null; \
	  else echo "nginx or openssl missing and not root: the deployment test will be skipped (or fail under CI)."; fi; \
	fi

## make test: install everything the tests need, then run the whole suite (SQLite, PostgreSQL, Redis, Chromium, nginx)
test: $(STAMP_TEST) browser-deps nginx-deps compile-translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make lint: ruff check + ruff format --check, and the translation catalogs up to date
lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP_TEST)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make translations: extract strings (templates, code, rules/), update catalogs, compile
translations: $(STAMP_RUN)
	$(BIN)/pybabel extract --no-location -F babel.cfg -k N_ -k NP_:1,2 -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
	  --add-comments=Translators: --sort-output --project="Myeloma Access Assistant" \
	  -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap
	$(BIN)/pybabel compile -d translations

## make bench: engine and HTTP benchmarks (wrk from Debian's packages) as ratios from one run, serving under
## pressure (PDF memory, the home page during a PDF storm, slow clients, a hanging database), then the load run
## (64 clients for 30 s against PostgreSQL at TEST_DATABASE_URL, Redis at TEST_REDIS_URL for the limited run)
bench: $(STAMP_TEST) pdf-deps compile-translations
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/http_bench.py
	$(BIN)/python bench/serving_bench.py
	$(BIN)/python bench/pdf_bench.py
	$(BIN)/python bench/load.py

## make lighthouse: Lighthouse scores of the form and results pages (installs lighthouse from npm into /tmp)
lighthouse: $(STAMP_TEST) browser-deps compile-translations
	bash bench/lighthouse.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
