# Quick start: `make` builds every edition into output/; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Debian packages: harfbuzz-subset makes fonts subset fast and reproducibly (WeasyPrint);
# the PDF tools are the real clients the tests check our PDFs with.
BUILD_LIBS := libharfbuzz-subset0
TEST_TOOLS := qpdf poppler-utils ghostscript default-jre-headless libjaxb-java chromium
# (a Java runtime and JAXB run veraPDF, the PDF/UA-1 validator the tests use; chromium opens
# the web editions for axe-core)
# Message catalogs: every printed word of the templates and the engine, one .po per language.
LOCALES := booklet/locales
CATALOGS := $(wildcard $(LOCALES)/*/LC_MESSAGES/booklet.po)

.PHONY: all build test check bench serve lint clean system-libs test-tools catalogs messages

all: build

$(VENV)/.installed: pyproject.toml
	@$(MAKE) --no-print-directory system-libs
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

build: $(VENV)/.installed catalogs
	$(PY) build.py

# Compiles each catalog (.po) to the .mo the build reads.
catalogs: $(CATALOGS:.po=.mo)

$(LOCALES)/%/LC_MESSAGES/booklet.mo: $(LOCALES)/%/LC_MESSAGES/booklet.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics --domain booklet -l $* -i $< -o $@

# After changing the words in templates/ or booklet/: extract them and update every catalog
# (then translate what is new: README, Translate a booklet).
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F $(LOCALES)/babel.cfg --no-location --sort-output \
	  --project booklet --omit-header -o $(LOCALES)/booklet.pot .
	$(VENV)/bin/pybabel -q update --domain booklet --ignore-obsolete \
	  --width 100 -i $(LOCALES)/booklet.pot -d $(LOCALES)

test: $(VENV)/.installed test-tools catalogs
	$(PY) -m ruff check --quiet .
	$(PY) -m pytest -q

check: $(VENV)/.installed catalogs
	$(PY) build.py --check

# The browser app: clinic copies from a form and an editor's live preview, at
# http://127.0.0.1:8000/ (build.py serve --help for the port, host and project).
serve: $(VENV)/.installed catalogs
	$(PY) build.py serve

bench: $(VENV)/.installed catalogs
	$(PY) benchmarks/bench.py

lint: $(VENV)/.installed
	$(PY) -m ruff check .

clean:
	rm -rf output $(VENV)

# Installs a Debian package when it is missing and we can (root + apt-get); otherwise says how.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || { echo "could not install$$missing"; exit $(2); }; \
	  else \
	    echo "note: missing$$missing; install with: sudo apt-get install$$missing"; \
	    [ "$(2)" = 0 ] || exit $(2); \
	  fi; \
	fi
endef

system-libs:
	$(call apt_install,$(BUILD_LIBS),0)

test-tools:
	$(call apt_install,$(TEST_TOOLS),1)
