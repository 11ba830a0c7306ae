# The two commands the README promises:
#   make start   set up (first run) and start the companion with the shipped model
#   make test    set up (first run) and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FACE_MODELS := models/faces/assets/.fetched

.PHONY: start test setup setup-test setup-browsers extension clean

start: setup
	$(BIN)/unmask serve

test: setup-test setup-browsers
	node --test tests/extension/unit/
	$(BIN)/python -m pytest -q

setup: $(VENV)/.serve-installed $(FACE_MODELS)

setup-test: $(VENV)/.test-installed $(FACE_MODELS)

# The extension's tests need Node (unit tests) and the system Chromium and Firefox ESR (end-to-end tests,
# driven by Playwright and WebDriver BiDi; no browser is ever downloaded). Installed from Debian when missing.
setup-browsers:
	@command -v node >/dev/null && command -v chromium >/dev/null && command -v firefox-esr >/dev/null || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium firefox-esr nodejs; }

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

# build/chromium and build/firefox: the extension for each browser (Firefox needs its own manifest).
extension:
	$(PYTHON) scripts/build_extension.py

clean:
	rm -rf $(VENV) models/faces/assets/*.tflite $(FACE_MODELS)
