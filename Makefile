# Build the briefings in source/ into build/. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
# The print variant's CMYK output profile, built by the set-up (see below); PROFILE= replaces it.
CMYK_PROFILE := $(VENV)/share/briefing-generator/FOGRA39L_coated.icc
FOGRA39_DATA ?= /usr/share/color/icc/FOGRA39L.ti3

DOC ?=
PAPER ?= a4
MARKS ?=
PRINT ?=
PROFILE ?=
LAYOUT ?= booklet
NAME ?=
SLUG ?=
BUILD := build
FORMATS ?= pdf,epub,html
PROGRESS ?=
ALLOW_WARNINGS ?=
QR ?=
EMAIL_BUDGET ?= 10

SLUGS := $(if $(DOC),$(DOC),$(patsubst source/%/document.yaml,%,$(wildcard source/*/document.yaml)))
# Each paper and variant has its own file name, so an A4 and a Letter build sit side by side:
# <slug>.pdf, <slug>-letter.pdf, <slug>-marks.pdf, <slug>-print.pdf, <slug>-booklet-letter.pdf ...
PRINTING := $(filter-out 0,$(PRINT))
PAPER_SUFFIX := $(if $(filter letter,$(PAPER)),-letter)
PDF_SUFFIX := $(if $(PRINTING),-print)$(PAPER_SUFFIX)$(if $(PRINTING),,$(if $(filter-out 0,$(MARKS)),-marks))
PDFS := $(SLUGS:%=$(BUILD)/%$(PDF_SUFFIX).pdf)
EPUBS := $(SLUGS:%=$(BUILD)/%.epub)
HTMLS := $(SLUGS:%=$(BUILD)/%.html)
ONEPAGERS := $(SLUGS:%=$(BUILD)/%-onepager$(PAPER_SUFFIX).pdf)
CODE := $(shell find generator -name '*.py' -o -name '*.yaml') $(shell find templates -type f)
PDF_OPTIONS := $(BUILD)/.pdf-options
PAPER_OPTION := $(BUILD)/.paper
PAPER_FLAGS := --paper $(PAPER) $(if $(filter-out 0,$(MARKS)),--marks)
# The print variant always has its marks and bleed; PROFILE names the print shop's CMYK profile.
PDF_FLAGS := $(if $(PRINTING),--paper $(PAPER) $(if $(PROFILE),--profile $(PROFILE)),$(PAPER_FLAGS))
PDF_FORMAT := $(if $(PRINTING),print,pdf)
PROGRESS_FLAG := $(if $(filter-out 0,$(PROGRESS)),--progress)
$(if $(filter booklet 2up,$(LAYOUT)),,$(error LAYOUT must be booklet or 2up, not '$(LAYOUT)'))
HANDOUTS := $(SLUGS:%=$(BUILD)/%-$(LAYOUT)$(PAPER_SUFFIX).pdf)

# Outputs are built in parallel (`make all` builds the documents at the same time, `make pdf epub`
# the two formats, each in its own process), unless the command line sets -j itself or asks for a clean.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ifeq ($(filter -j%,$(MAKEFLAGS))$(filter clean distclean,$(MAKECMDGOALS)),)
MAKEFLAGS += -j$(JOBS)
endif

.PHONY: all pdf epub html onepager watch handout dist new check test golden ace ace-setup readers readers-setup bench clean distclean help FORCE
.DEFAULT_GOAL := all

all: pdf epub html ## build the PDF, the EPUB and the web page of every document (DOC=slug for one)

pdf: $(PDFS) ## build build/<slug>.pdf (PAPER=letter: -letter.pdf, MARKS=1: -marks.pdf, PRINT=1 [PROFILE=x.icc]: PDF/X-4 -print.pdf)

epub: $(EPUBS) ## build build/<slug>.epub

html: $(HTMLS) ## build build/<slug>.html, one self-contained web page (PROGRESS=1 for stage lines)

onepager: $(ONEPAGERS) ## build build/<slug>-onepager.pdf, one side to leave behind (PAPER=letter)

watch: $(STAMP) ## rebuild on every change to a source or template (FORMATS=pdf,epub,html; Ctrl-C stops)
	$(PY) -m generator watch $(DOC) --out $(BUILD) --formats $(FORMATS) $(PAPER_FLAGS) $(PROGRESS_FLAG)

handout: $(HANDOUTS) ## build build/<slug>-booklet.pdf to print and fold (LAYOUT=2up, PAPER=letter)

dist: $(STAMP) ## every format of every document, assembled in build/dist/ (ALLOW_WARNINGS=1, QR=1, EMAIL_BUDGET=MB)
	$(PY) -m generator dist $(DOC) --out $(BUILD) --paper $(PAPER) --email-budget $(EMAIL_BUDGET) \
	  $(if $(filter-out 0,$(ALLOW_WARNINGS)),--allow-warnings) $(if $(filter-out 0,$(QR)),--qr) $(PROGRESS_FLAG)

# The title reaches the command through the environment, never pasted into the shell line, so
# that any quote or '$' in it is kept as written.
new: export NAME := $(NAME)
new: export SLUG := $(SLUG)
new: $(STAMP) ## create a new document that builds at once: NAME="Its title" (SLUG=folder-name, else from the title)
	@test -n "$$NAME" || { echo 'usage: make new NAME="<title>" [SLUG=<folder-name>], e.g. make new NAME="Heat pumps in rented housing"' >&2; exit 2; }
	@$(PY) -m generator new "$$NAME" $${SLUG:+--slug "$$SLUG"}

check: $(STAMP) ## validate every source and write nothing
	$(PY) -m generator check $(DOC)

# The suite runs on every core (pytest-xdist), a test file to a worker so that each file's
# module fixtures build once; TEST_JOBS=1 runs it in one process.
TEST_JOBS ?= $(JOBS)
test: $(STAMP) $(CMYK_PROFILE) ## run the test suite (TEST_JOBS=1: in one process)
	$(PY) -m pytest -q $(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadfile) --durations=15

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

# The reading-system test: the seed and every buildable fixture as EPUBs (glossary-errors and bad/
# are built to fail; grouped fixtures such as colophon/cited are built from their group), the seed
# as a web page, built into build/readers/books/ and opened by tools/readers/readers.mjs (foliate-js
# and epub.js in Debian's Chromium; no browser is downloaded). About 5 minutes on two cores;
# tests/test_readers.py runs a subset. Screenshots in build/readers/.
READERS_BOOKS := $(BUILD)/readers/books
READERS_FIXTURES ?= $(filter-out glossary-errors,$(patsubst tests/fixtures/%/document.yaml,%,$(wildcard tests/fixtures/*/document.yaml)))
READERS_GROUPS ?= $(filter-out bad/%,$(patsubst tests/fixtures/%/document.yaml,%,$(wildcard tests/fixtures/*/*/document.yaml)))

readers-setup: ## install the reading engines for `make readers` (foliate-js, epub.js, puppeteer-core; needs npm)
	cd tools/readers && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund

readers: $(STAMP) ## open the EPUBs in foliate-js and epub.js and the web page in Chromium; screenshots in build/readers/
	@test -d tools/readers/node_modules/puppeteer-core || { echo "the reading engines are not installed: run 'make readers-setup'" >&2; exit 2; }
	@command -v node >/dev/null || { echo "make readers needs node" >&2; exit 2; }
	@test -x $(CHROMIUM) || { echo "make readers needs Chromium at $(CHROMIUM) (CHROMIUM=path)" >&2; exit 2; }
	@rm -rf $(READERS_BOOKS) && mkdir -p $(READERS_BOOKS)
	$(PY) -m generator epub $(SLUGS) --out $(READERS_BOOKS) --no-progress
	$(PY) -m generator epub $(READERS_FIXTURES) --source tests/fixtures --out $(READERS_BOOKS) --no-progress
	@for doc in $(READERS_GROUPS); do \
	  $(PY) -m generator epub $$(basename $$doc) --source tests/fixtures/$$(dirname $$doc) --out $(READERS_BOOKS) --no-progress || exit 1; \
	done
	$(PY) -m generator html $(SLUGS) --out $(READERS_BOOKS) --no-progress
	CHROMIUM=$(CHROMIUM) node tools/readers/readers.mjs $(READERS_BOOKS) $(BUILD)/readers

bench: $(BENCH_STAMP) ## benchmark against WeasyPrint alone and Pandoc, the cost ledger and the watch loop (BENCH_QUICK=1: short run; BENCH_LEDGER=seed,tenth,large); writes build/bench.json
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

# The CMYK profile of the print variant (PRINT=1): ArgyllCMS's colprof (Debian: argyll) builds it
# from FOGRA39L.ti3, Fogra's characterisation data for offset on coated paper (ISO 12647-2),
# which Debian's icc-profiles-free ships under the zlib licence; so the profile, embedded in every
# print PDF, may be given to anyone. -ql: low table resolution, 8 s instead of 36; a print shop's
# own profile (PROFILE=) is better for colour-critical work. colprof's fit is not repeatable, so
# each set-up has its own bytes (the same on every build there).
$(CMYK_PROFILE):
	@test -f $(FOGRA39_DATA) && command -v colprof >/dev/null || { \
	  echo "the print variant's CMYK profile is built from $(FOGRA39_DATA) by colprof:" \
	       "apt-get install icc-profiles-free argyll (or give the print shop's: PROFILE=path.icc)" >&2; exit 2; }
	@mkdir -p $(@D)
	@work=$$(mktemp -d) && cp $(FOGRA39_DATA) $$work/FOGRA39L.ti3 && \
	  colprof -ql -D "FOGRA39L coated" -C "From Fogra's FOGRA39L data (zlib licence)" $$work/FOGRA39L >/dev/null && \
	  mv $$work/FOGRA39L.icc $@ && rm -rf $$work && echo "built $@"

# The benchmark's extra tools (Pandoc, pyinstrument, Typst), installed only when `make bench` asks for them.
$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bench.lock
	touch $@

# Rewritten only when PROFILE changes (paper, marks and print are in the file name), so that the
# PDFs are rebuilt then and only then.
# The web page's print stylesheet follows PAPER, which is not in its file name: rewritten only when
# PAPER changes, so that the page is rebuilt then and only then.
$(PAPER_OPTION): FORCE
	@mkdir -p $(BUILD)
	@echo '$(PAPER)' | cmp -s - $@ || echo '$(PAPER)' > $@

$(PDF_OPTIONS): FORCE
	@mkdir -p $(BUILD)
	@echo '$(PROFILE)' | cmp -s - $@ || echo '$(PROFILE)' > $@

.SECONDEXPANSION:
# `make` and `make all` build a document's three formats in one process, so that a problem in its
# sources is printed once, not once per format (documents still build side by side). Asked for
# one format (`make pdf`), or for the print variant, make runs each format's own command.
ifneq ($(if $(PRINTING),,$(if $(MAKECMDGOALS),$(filter all,$(MAKECMDGOALS)),all)),)
$(BUILD)/%$(PDF_SUFFIX).pdf $(BUILD)/%.epub $(BUILD)/%.html: $(STAMP) $(PDF_OPTIONS) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator all $* --out $(BUILD) $(PDF_FLAGS) $(PROGRESS_FLAG)
else
$(BUILD)/%$(PDF_SUFFIX).pdf: $(STAMP) $(if $(PRINTING),$(if $(PROFILE),$(PROFILE),$(CMYK_PROFILE))) $(PDF_OPTIONS) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator $(PDF_FORMAT) $* --out $(BUILD) $(PDF_FLAGS) $(PROGRESS_FLAG)

$(BUILD)/%.epub: $(STAMP) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator epub $* --out $(BUILD) $(PROGRESS_FLAG)

$(BUILD)/%.html: $(STAMP) $(PAPER_OPTION) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator html $* --out $(BUILD) --paper $(PAPER) $(PROGRESS_FLAG)
endif

$(BUILD)/%-booklet$(PAPER_SUFFIX).pdf: $(STAMP) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator booklet $* --out $(BUILD) --paper $(PAPER) $(PROGRESS_FLAG)

$(BUILD)/%-onepager$(PAPER_SUFFIX).pdf: $(STAMP) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator onepager $* --out $(BUILD) --paper $(PAPER) $(PROGRESS_FLAG)

$(BUILD)/%-2up$(PAPER_SUFFIX).pdf: $(STAMP) $(CODE) $$(shell find source/$$* -type f)
	$(PY) -m generator 2up $* --out $(BUILD) --paper $(PAPER) $(PROGRESS_FLAG)
