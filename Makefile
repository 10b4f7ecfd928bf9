# The shop: six Django services behind one nginx gateway. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(abspath $(VENV))/bin/python
SERVICES := auth_service bank_service catalog_service order_service payment_service notification_service
export APP_ENV ?= development

$(VENV)/.installed: requirements.lock requirements-dev.lock servicekit/pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.lock -r requirements-dev.lock
	# compat mode: a plain path entry that mypy can follow, unlike the import-hook editable install
	$(PY) -m pip install -q --no-deps -e servicekit --config-settings editable_mode=compat
	touch $@

.PHONY: pgbouncer manifests kube-tools test-kubernetes web web-deps web-types web-report test-web chromium profile test-containers test-compose images postman-tools postman test-schema prune-events reconcile help venv keys databases migrate run test test-services test-e2e lint fmt rotate-keys prune-keys prune-tokens verify-ledger prune-idempotency-keys bench lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## create .venv with the locked dependencies and servicekit

keys: venv ## create the development RSA key pair in .keys/ (git-ignored) if missing
	$(PY) -m stack keys

databases: venv ## create each service's PostgreSQL role and database
	$(PY) -m stack databases

migrate: databases ## apply every service's migrations
	for service in $(SERVICES); do (cd $$service && $(PY) manage.py migrate --noinput) || exit 1; done

run: venv ## bring the whole system up natively in the foreground (REPLICAS=2: two of every service, PgBouncer); Ctrl-C stops it
	$(PY) -m stack run $(if $(REPLICAS),--replicas $(REPLICAS)) $(if $(PGBOUNCER),--pgbouncer $(PGBOUNCER))

test: test-services test-schema test-web test-containers test-kubernetes test-compose test-e2e ## every service's tests, their OpenAPI documents, the web client's, the containers for real, then the end-to-end tests through the gateway and in a browser

test-services: venv databases ## servicekit's and each service's pytest suite against PostgreSQL
	cd servicekit && $(PY) -m pytest
	for service in $(SERVICES); do (cd $$service && $(PY) -m pytest) || exit 1; done

test-schema: keys ## every service's OpenAPI document, validated, with no warning allowed
	for service in $(SERVICES); do (cd $$service && APP_ENV=test $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null) || exit 1; done

test-containers: venv ## static checks of the container files: docker-compose config and hadolint
	command -v docker-compose >/dev/null || (apt-get update -qq && apt-get install -y -qq docker-compose)
	docker-compose -f docker-compose.yml --env-file .env.example config -q
	$(VENV)/bin/hadolint docker/Dockerfile docker/gateway/Dockerfile

test-compose: venv keys postman-tools ## build the images, run docker-compose.yml unchanged (Docker, else podman) and test it through its gateway
	$(PY) -m pytest -c e2e/pytest.ini -m compose e2e/compose

KUBE_VENV := .venv-kube

$(KUBE_VENV)/.installed: deploy/kubernetes/requirements.lock
	python3 -m venv $(KUBE_VENV)
	$(KUBE_VENV)/bin/python -m pip install -q -r deploy/kubernetes/requirements.lock
	touch $@

kube-tools: $(KUBE_VENV)/.installed ## checkov and kubernetes-validate in .venv-kube, from their own lock file

manifests: venv ## regenerate deploy/kubernetes/ (kustomize base and overlays) from stack/services.py and docker-compose.yml
	$(PY) -m stack.kubernetes

test-kubernetes: venv kube-tools ## the Kubernetes manifests, no cluster: as generated, like compose, valid after kustomize (API schemas), checkov-clean
	KUBE_TOOLS=$(abspath $(KUBE_VENV))/bin $(PY) -m pytest -c e2e/pytest.ini e2e/test_kubernetes.py

images: venv ## build the six service images (and stand-ins for public images that cannot be pulled); BUILD_CA_BUNDLE=file for a TLS proxy
	$(PY) -m stack images

postman-tools: postman/node_modules/.bin/newman ## newman (npm), to run the Postman collection

postman/node_modules/.bin/newman: postman/package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	cd postman && npm ci --no-audit --no-fund
	touch $@

web: web-deps ## the web client: its locked packages (npm ci) and its build in web/dist, which the gateway serves at /
	cd web && npm run build

web-deps: web/node_modules/.package-lock.json ## the web client's locked npm packages

web/node_modules/.package-lock.json: web/package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	cd web && npm ci --no-audit --no-fund
	touch $@

web-types: venv keys web-deps ## regenerate web/src/lib/api/<service>.d.ts from the six services' OpenAPI documents
	cd web && PYTHON=$(PY) npm run api-types

test-web: venv keys web-deps ## the web client's unit and component tests (Vitest), and that its API types are the services' own
	cd web && npm test
	cd web && PYTHON=$(PY) npm run api-types:check

web-report: venv web ## the first page's JavaScript, gzipped, and Lighthouse's scores of the catalog on a stack of its own
	cd web && PYTHON=$(PY) npm run report

chromium: ## Debian's Chromium, for the browser tests (installed with apt-get when missing)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

pgbouncer: ## Debian's PgBouncer, for stacks with replicas (installed with apt-get when missing)
	command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || (apt-get update -qq && apt-get install -y -qq pgbouncer)

postman: venv ## rebuild the Postman collection and environment from postman/build.py
	$(PY) postman/build.py

test-e2e: venv postman-tools web chromium pgbouncer ## start the native stack on free ports and test it through nginx and in headless Chromium
	$(PY) -m pytest -c e2e/pytest.ini e2e

lint: keys web-deps ## ruff (lint and format check) and mypy with the Django and DRF stubs; ESLint, Prettier and tsc for web/
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd servicekit && DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m mypy --config-file ../pyproject.toml servicekit tests
	for service in $(SERVICES); do \
		(cd $$service && DJANGO_SETTINGS_MODULE=config.settings $(PY) -m mypy --config-file ../pyproject.toml .) || exit 1; \
	done
	DJANGO_SETTINGS_MODULE=config.settings MYPYPATH=auth_service $(PY) -m mypy --config-file pyproject.toml stack e2e bench
	cd web && npm run lint

fmt: venv ## format and auto-fix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

rotate-keys: venv ## new token signing key; the old one keeps verifying until `make prune-keys`
	cd auth_service && $(PY) manage.py jwt_keys rotate

prune-keys: venv ## drop retired signing keys once every token they signed has expired
	cd auth_service && $(PY) manage.py jwt_keys prune

prune-tokens: venv ## delete expired refresh token records and stale failed-login counters
	cd auth_service && $(PY) manage.py prune_tokens

verify-ledger: venv ## check that every bank transaction sums to zero and every balance matches its postings
	cd bank_service && $(PY) manage.py verify_ledger

prune-idempotency-keys: venv ## delete idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS in every service
	for service in $(SERVICES); do (cd $$service && $(PY) manage.py prune_idempotency_keys) || exit 1; done

prune-events: venv ## delete published outbox events (7 days) and inbox entries (30 days) in every service
	for service in $(SERVICES); do (cd $$service && $(PY) manage.py prune_events) || exit 1; done

reconcile: venv ## settle orders and payments left half-way (make run also does it every 30 s)
	cd payment_service && $(PY) manage.py reconcile_payments
	cd order_service && $(PY) manage.py reconcile_orders

bench: venv ## the goal table (BENCH_BASELINE, default 8130c16, beside the working tree) and every figure, from one run
	$(PY) bench/run.py

profile: venv ## py-spy profile of the full checkout, per service, into bench/results/profile.md
	$(PY) bench/profile.py

lock: venv ## re-resolve requirements.lock (runtime, what the images install) and requirements-dev.lock
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile requirements.in -o requirements.lock --python-version 3.11 --no-header
	$(VENV)/bin/uv pip compile requirements-dev.in -o requirements-dev.lock --python-version 3.11 --no-header

clean: ## remove the virtual environment and runtime files (not the keys)
	rm -rf $(VENV) var
