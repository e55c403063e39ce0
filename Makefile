# Two commands on a fresh machine:  `make serve` (the site)  and  `make test` (every test).
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1:8000

.PHONY: serve build test chromium regen bench phone clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[docs,test]"
	touch $(STAMP)

## serve the site with live reload on http://$(HOST)
serve: $(STAMP)
	$(PY) -m mkdocs serve --dev-addr $(HOST)

## build the static site into site/
build: $(STAMP)
	$(PY) -m mkdocs build --strict

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

## timing tables (NumPy kernels vs torch.nn.RNN/LSTM/GRU and their GEMM floor) into docs/benchmarks/rnn.txt;
## the one output that differs by machine: run it on a quiet machine
bench: $(STAMP)
	$(PY) -m bench --write docs/benchmarks/rnn.txt

## time to math and cold-page gzip bytes of the heaviest pages on a simulated phone (390 px, CPU 4x slower)
phone: build chromium
	$(PY) tests/tools/phone_timing.py site

clean:
	rm -rf site $(VENV) .pytest_cache
