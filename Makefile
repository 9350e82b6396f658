# Build the briefings in source/ into build/. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed

DOC ?=
PAPER ?= a4
MARKS ?=
LAYOUT ?= booklet
NAME ?=
BUILD := build
FORMATS ?= pdf,epub,html
PROGRESS ?=
ALLOW_WARNINGS ?=
QR ?=
EMAIL_BUDGET ?= 10

SLUGS := $(if $(DOC),$(DOC),$(patsubst source/%/document.yaml,%,$(wildcard source/*/document.yaml)))
PDFS := $(SLUGS:%=$(BUILD)/%.pdf)
EPUBS := $(SLUGS:%=$(BUILD)/%.epub)
HTMLS := $(SLUGS:%=$(BUILD)/%.html)
ONEPAGERS := $(SLUGS:%=$(BUILD)/%-onepager.pdf)
CODE := $(shell find generator -name '*.py' -o -name '*.yaml') $(shell find templates -type f)
PDF_OPTIONS := $(BUILD)/.pdf-options
PDF_FLAGS := --paper $(PAPER) $(if $(filter-out 0,$(MARKS)),--marks)
PROGRESS_FLAG := $(if $(filter-out 0,$(PROGRESS)),--progress)
$(if $(filter booklet 2up,$(LAYOUT)),,$(error LAYOUT must be booklet or 2up, not '$(LAYOUT)'))
HANDOUTS := $(SLUGS:%=$(BUILD)/%-$(LAYOUT).pdf)
HANDOUT_OPTIONS := $(BUILD)/.handout-options

# Outputs are built in parallel (`make all` writes the PDF and the EPUB at the same time,
# each in its own process), unless the command line sets -j itself or asks for a clean.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ifeq ($(filter -j%,$(MAKEFLAGS))$(filter clean distclean,$(MAKECMDGOALS)),)
MAKEFLAGS += -j$(JOBS)
endif

.PHONY: all pdf epub html onepager watch handout dist new check test golden ace ace-setup bench clean distclean help FORCE
.DEFAULT_GOAL := all

all: pdf epub ## build the PDF and the EPUB of every document (DOC=slug for one)

pdf: $(PDFS) ## build build/<slug>.pdf (PAPER=letter, MARKS=1 for crop marks)

epub: $(EPUBS) ## build build/<slug>.epub

html: $(HTMLS) ## build build/<slug>.html, one self-contained web page (PROGRESS=1 for stage lines)

onepager: $(ONEPAGERS) ## build build/<slug>-onepager.pdf, one side to leave behind (PAPER=letter)

watch: $(STAMP) ## rebuild on every change to a source or template (FORMATS=pdf,epub,html; Ctrl-C stops)
	$(PY) -m generator watch $(DOC) --out $(BUILD) --formats $(FORMATS) $(PDF_FLAGS) $(PROGRESS_FLAG)

handout: $(HANDOUTS) ## build build/<slug>-booklet.pdf to print and fold (LAYOUT=2up, PAPER=letter)

dist: $(STAMP) ## every format of every document, assembled in build/dist/ (ALLOW_WARNINGS=1, QR=1, EMAIL_BUDGET=MB)
	$(PY) -m generator dist $(DOC) --out $(BUILD) --paper $(PAPER) --email-budget $(EMAIL_BUDGET) \
	  $(if $(filter-out 0,$(ALLOW_WARNINGS)),--allow-warnings) $(if $(filter-out 0,$(QR)),--qr) $(PROGRESS_FLAG)

new: $(STAMP) ## create source/<NAME>/ with starter files that build at once (NAME=slug)
	@test -n "$(NAME)" || { echo "usage: make new NAME=<slug>, e.g. make new NAME=water-policy-2027" >&2; exit 2; }
	$(PY) -m generator new $(NAME)

check: $(STAMP) ## validate every source and write nothing
	$(PY) -m generator check $(DOC)

test: $(STAMP) ## run the test suite
	$(PY) -m pytest -q

golden: $(STAMP) ## rewrite every golden file in tests/golden/ from the current output, after an intended change
	UPDATE_GOLDEN=1 $(PY) -m pytest -q tests/test_golden.py

ACE := tools/ace/node_modules/.bin/ace-cli
CHROMIUM ?= /usr/bin/chromium

ace-setup: ## install DAISY Ace (needs npm and Debian's chromium; no browser is downloaded)
	cd tools/ace && npm ci --ignore-scripts --no-fund --no-audit

ace: $(EPUBS) ## check every EPUB with DAISY Ace; reports in build/ace/<slug>/
	@test -x $(ACE) || { echo "DAISY Ace is not installed: run 'make ace-setup'"; exit 2; }
	@for epub in $(EPUBS); do \
	  PUPPETEER_EXECUTABLE_PATH=$(CHROMIUM) $(ACE) --silent -f -o $(BUILD)/ace/$$(basename $$epub .epub) $$epub || exit 1; \
	  ! grep -q '"earl:outcome": "fail"' $(BUILD)/ace/$$(basename $$epub .epub)/report.json \
	    && echo "$$epub: Ace found no violation" \
	    || { echo "$$epub: Ace found violations, see $(BUILD)/ace/$$(basename $$epub .epub)/report.html"; exit 1; }; \
	done

bench: $(BENCH_STAMP) ## benchmark against WeasyPrint alone and Pandoc (BENCH_QUICK=1: short run); writes build/bench.json
	$(PY) -m bench --out $(BUILD)

clean: ## remove the outputs
	rm -rf $(BUILD)

distclean: clean ## remove the outputs and the virtual environment
	rm -rf $(VENV)

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# The virtual environment, with the pinned dependencies of requirements.lock. The checkout is
# installed as a plain path entry (compat mode: no import hook to load at every start) and
# compiled once, so that a build starts fast even where PYTHONDONTWRITEBYTECODE is set.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e . --config-settings editable_mode=compat
	$(PY) -m compileall -q generator >/dev/null
	touch $@

# The benchmark's extra tools (Pandoc, pyinstrument), installed only when `make bench` asks for them.
$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bench.lock
	touch $@

# Rewritten only when PAPER or MARKS change, so that the PDFs are rebuilt then and only then.
$(PDF_OPTIONS): FORCE
	@mkdir -p $(BUILD)
	@echo '$(PDF_FLAGS)' | cmp -s - $@ || echo '$(PDF_FLAGS)' > $@

# Rewritten only when PAPER changes (the layout is in the file name).
$(HANDOUT_OPTIONS): FORCE
	@mkdir -p $(BUILD)
	@echo '--paper $(PAPER)' | cmp -s - $@ || echo '--paper $(PAPER)' > $@

.SECONDEXPANSION:
$(BUILD)/%.pdf: $(STAMP) $(PDF_OPTIONS) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator pdf $* --out $(BUILD) $(PDF_FLAGS) $(PROGRESS_FLAG)

$(BUILD)/%.epub: $(STAMP) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator epub $* --out $(BUILD) $(PROGRESS_FLAG)

$(BUILD)/%.html: $(STAMP) $(HANDOUT_OPTIONS) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator html $* --out $(BUILD) --paper $(PAPER) $(PROGRESS_FLAG)

$(BUILD)/%-booklet.pdf: $(STAMP) $(HANDOUT_OPTIONS) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator booklet $* --out $(BUILD) --paper $(PAPER) $(PROGRESS_FLAG)

$(BUILD)/%-onepager.pdf: $(STAMP) $(HANDOUT_OPTIONS) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator onepager $* --out $(BUILD) --paper $(PAPER) $(PROGRESS_FLAG)

$(BUILD)/%-2up.pdf: $(STAMP) $(HANDOUT_OPTIONS) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator 2up $* --out $(BUILD) --paper $(PAPER) $(PROGRESS_FLAG)
