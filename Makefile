# The two commands for a fresh machine:
#   make run    set everything up and run the assistant
#   make test   set everything up and run every check and test
SHELL := /bin/bash
PY := .venv/bin/python
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup run test test-fast train content-check sync-domain validate lint pytest rasa-test bench cross-validate

setup:
	./scripts/setup.sh

run: setup
	$(PY) -m bot run

test: setup validate content-check lint pytest rasa-test

train:
	$(PY) -m bot train

content-check:
	$(PY) -m bot content check

# Write domain/generated/ from the form, the safety intents and content/messages.yml (then `make train`).
sync-domain:
	$(PY) -m bot domain generate

validate:
	./scripts/validate.sh

lint:
	$(PY) -m ruff check bot actions tests scripts
	.venv/bin/lint-imports --no-cache

pytest:
	$(PY) -m pytest -q

# Everything but the slow kinds (the real stack, the browser, PostgreSQL, Redis, TensorFlow), on every core:
# the loop to run while working. `make test` runs them all.
# Compiled modules are read from the __pycache__ folders setup and pip wrote, and pytest keeps its rewritten test
# modules there even where the machine sets PYTHONDONTWRITEBYTECODE, so each run and each worker does not
# rewrite every test module again.
test-fast: setup
	PYTHONDONTWRITEBYTECODE= \
	  $(PY) -m pytest -q -n auto -m "not stack and not browser and not postgres and not redis and not model"

rasa-test:
	$(PY) -m rasa test core --model models/current.tar.gz --stories tests/stories \
	  --out results/core --fail-on-prediction-errors

bench:
	$(PY) scripts/bench_latency.py

cross-validate:
	$(PY) -m rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5 --out results/nlu-cv
