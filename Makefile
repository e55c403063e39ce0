# Two commands on a fresh machine:  `make serve` (the site)  and  `make test` (every test).
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SITE_STAMP := $(VENV)/.installed-site
HOST   ?= 127.0.0.1:8000
# Python may cache what it compiles: some machines export PYTHONDONTWRITEBYTECODE=1, and then every
# process of a test run (two workers, two demo runs, a kernel per notebook, the site build, the CLI
# tests) compiled PyTorch, matplotlib and the rest from source again: about 5 CPU-s per process
# that imports PyTorch (measured: `python -m solutions run shapes` 8.9 -> 3.4 CPU-s once cached).
# The caches go into .venv and the ignored __pycache__ folders of the checkout.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: serve build publish gh-deploy test chromium regen regen-long bench phone clean

# Everything: the package with NumPy, PyTorch, matplotlib, the docs and the test extras.
# --no-compile: pip would byte-compile every installed module (most of PyTorch's thousands are never
# imported here); Python compiles and caches the ones imported on first use. Measured on a fresh
# venv from a warm pip cache: 53 CPU-s of install instead of 106.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-compile --disable-pip-version-check -c constraints.txt -e ".[docs,test]"
	touch $(STAMP) $(SITE_STAMP)

# What the site needs, no more: the docs extra's requirements and the package without its
# dependencies (building the site imports neither NumPy nor PyTorch).
$(SITE_STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['docs']))" > $(VENV)/site-requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -r $(VENV)/site-requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(SITE_STAMP)

## serve the site with live reload on http://$(HOST)
serve: $(SITE_STAMP)
	$(PY) -m mkdocs serve --dev-addr $(HOST)

## build the static site into site/
build: $(SITE_STAMP)
	$(PY) -m mkdocs build --strict

## publish: write the addresses into CITATION.cff (commit it), then build site/ with them:
##   make publish SITE_URL=https://… REPO_URL=https://…
publish: $(SITE_STAMP)
	@test -n "$(SITE_URL)" || { echo "usage: make publish SITE_URL=https://… REPO_URL=https://…" >&2; exit 2; }
	$(PY) -m solutions.publish.addresses --site-url "$(SITE_URL)" --repo-url "$(REPO_URL)"
	$(PY) -m mkdocs build --strict

## the same addresses, then build and push the site to the gh-pages branch (mkdocs gh-deploy)
gh-deploy: $(SITE_STAMP)
	@test -n "$(SITE_URL)" || { echo "usage: make gh-deploy SITE_URL=https://… REPO_URL=https://…" >&2; exit 2; }
	$(PY) -m solutions.publish.addresses --site-url "$(SITE_URL)" --repo-url "$(REPO_URL)"
	$(PY) -m mkdocs gh-deploy --strict

## Debian's chromium for the browser tests (installed with apt when missing and we are root)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: run 'sudo apt-get install -y chromium' and retry." >&2; exit 1; \
	  fi; }

## run every test (outputs, figures, math against torch, the built site in a real browser)
test: $(STAMP) chromium
	$(PY) -m pytest -n 2 --dist worksteal

## rewrite docs/outputs/*, docs/figures/*.svg, the anchor list, then the notebooks (which print those outputs)
regen: $(STAMP)
	$(PY) -m pytest tests/test_outputs.py tests/test_equations.py --regen -n 2
	$(PY) -m pytest tests/test_notebooks.py --regen -n 2

## the long tier: rerun the experiments too long for the test suite (hours on one core) into
## docs/long/<name>/ (records.jsonl, environment.json); resumes where a previous run stopped.
## One experiment: `$(PY) -m solutions.experiments.longrun regen NAME`; see solutions/experiments/longrun.py
regen-long: $(STAMP)
	$(PY) -m solutions.experiments.longrun regen

## timing tables (NumPy kernels vs torch.nn.RNN/LSTM/GRU and their GEMM floor) into docs/benchmarks/rnn.txt;
## the one output that differs by machine: run it on a quiet machine
bench: $(STAMP)
	$(PY) -m bench --write docs/benchmarks/rnn.txt

## time to math and cold-page gzip bytes of the five heaviest pages on a simulated phone (390 px, CPU
## 4x slower), this build against PHONE_BEFORE (default: the last commit whose pages typeset math
## in the browser); prints the before/after table with the machine's load beside each number
PHONE_BEFORE ?= 2009839
phone: build chromium
	rm -rf build/phone-before && mkdir -p build/phone-before/src
	git archive $(PHONE_BEFORE) | tar -x -C build/phone-before/src
	cd build/phone-before/src && PYTHONPATH=$$PWD ../../../$(PY) -m mkdocs build --quiet -d ../site
	$(PY) tests/tools/phone_timing.py site --before build/phone-before/site

clean:
	rm -rf site $(VENV) .pytest_cache
