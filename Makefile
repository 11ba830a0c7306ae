# The two commands the README promises:
#   make start   set up (first run) and start the companion with the shipped model
#   make test    set up (first run) and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FACE_MODELS := models/faces/assets/.fetched

.PHONY: start test setup setup-test clean

start: setup
	$(BIN)/unmask serve

test: setup-test
	$(BIN)/python -m pytest -q

setup: $(VENV)/.serve-installed $(FACE_MODELS)

setup-test: $(VENV)/.test-installed $(FACE_MODELS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.serve-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.serve-installed

$(FACE_MODELS): models/faces/assets/manifest.json | $(BIN)/python
	$(BIN)/python scripts/fetch_face_models.py
	touch $@

clean:
	rm -rf $(VENV) models/faces/assets/*.tflite $(FACE_MODELS)
