# symconv: `make demo` and `make test` set everything up on a fresh Debian machine
# (virtual environment, Python packages, the LaTeX engine) and then run.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
APT_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-pictures poppler-utils

.PHONY: demo test bench lint typecheck system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# pdflatex and pdftoppm, from Debian's packages, when they are missing.
system-deps:
	@if command -v pdflatex >/dev/null && command -v pdftoppm >/dev/null && kpsewhich tikz.sty >/dev/null; then \
		echo "LaTeX engine present"; \
	else \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

demo: $(STAMP) system-deps
	$(VENV)/bin/symconv explain

lint: $(STAMP)
	$(PY) -m ruff check symconv tests benchmarks
	$(PY) -m ruff format --check symconv tests benchmarks

typecheck: $(STAMP)
	$(PY) -m mypy symconv

test: $(STAMP) system-deps lint typecheck
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
