# tfnis — one gate (`make test`) and one main job (`make demo`); both install what they need first.
SHELL := /bin/bash
PYENV_313 := /root/.pyenv/versions/3.13.0/bin/python3.13
PYTHON ?= $(shell if [ -x $(PYENV_313) ]; then echo $(PYENV_313); \
	else for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null && { echo $$p; break; }; done; fi)
VENV := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
BIN := $(VENV)/bin
export SAM_CLI_TELEMETRY := 0
export PYENV_VERSION := 3.11.7:3.12.1:3.13.0

.PHONY: install install-sam install-checkov install-spark checkov test lint lint-template unit integration e2e demo bench \
	clean build layer-size web chromium glue-artifacts

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# aws-sam-cli pins its own boto3 and click: it lives in a venv of its own.
install-sam: $(SAM_VENV)/.installed

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet "aws-sam-cli==1.170.0"
	touch $@

# The upload page: GOV.UK Frontend and axe-core from npm (pinned by web/package-lock.json), built into web/build/;
# swagger-ui-dist for the embedded stack's /docs, built into web/build-docs/ (never deployed).
web: web/build/index.html

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/build/index.html: web/node_modules/.installed web/build.mjs $(wildcard web/src/* web/src/docs/*)
	cd web && node build.mjs

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used); CI runs as root.
chromium:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y chromium chromium-driver; \
	fi

# checkov pins its own boto3 and friends too: a venv of its own. Skips and their reasons: docs/deploy.md.
install-checkov: $(CHECKOV_VENV)/.installed

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet "checkov==3.3.30"
	touch $@

checkov: install-checkov
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --config-file .checkov.yaml

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/tfnis/tfnis local/tfnis_local

lint-template: install install-sam
	$(BIN)/cfn-lint template.yaml
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml --region eu-west-2

# `tfnis link --engine spark` and its test: pyspark 3.5 (AWS Glue 5.0's Spark) in the venv and Java 17, from
# Debian's openjdk-17-jre-headless where no Java 17 is on the PATH (CI runs as root).
# setuptools: pyspark 3.5 imports distutils (gone from Python 3.12), which setuptools still provides.
install-spark: $(VENV)/.spark-installed

$(VENV)/.spark-installed: $(VENV)/.installed
	@if ! java -version 2>&1 | grep -q 'version "17'; then \
		apt-get update && apt-get install -y openjdk-17-jre-headless; fi
	$(BIN)/pip install --quiet "pyspark>=3.5,<3.6" setuptools
	touch $@

test: install install-spark lint lint-template checkov web chromium
	$(BIN)/pytest -q -n 2 --dist loadfile

# The fast unit tier (under a minute): tests marked slow run in `make test` only.
unit: install
	$(BIN)/pytest -q -n 2 -m "not slow" tests/unit

demo: install web
	$(BIN)/tfnis demo --out out/demo

bench: install
	$(BIN)/python bench/validate_bench.py

# sam build ships .py only for BuildMethod python3.13 (TfnisLayer, the functions). Lambda's /var/task and /opt
# are read-only, so the runtime recompiles every module it imports on every cold start (about 1 s of it, see
# `make layer-size`). unchecked-hash: the .pyc stays valid whatever timestamps the zip gives the sources.
build: install-sam
	$(SAM_VENV)/bin/sam build
	PYENV_VERSION=3.13.0 python3.13 -m compileall -q -j 2 --invalidation-mode unchecked-hash .aws-sam/build

# The national re-link's Glue job (template.yaml NationalRelinkJob): its script, the tfnis library as a zip for
# --extra-py-files, and splink's similarity-UDF jar for Spark 3.x (--extra-jars), in .aws-sam/glue/. Upload with
# `aws s3 sync .aws-sam/glue/ s3://<GlueArtifactsBucketName>/glue/` (docs/deploy.md, "National re-linkage").
glue-artifacts: install
	rm -rf .aws-sam/glue && mkdir -p .aws-sam/glue
	cp glue/relink.py .aws-sam/glue/relink.py
	cd layers/tfnis && zip -q -r -X ../../.aws-sam/glue/tfnis.zip tfnis -x '*/__pycache__/*' '*.pyc'
	cp $$($(BIN)/python -c "import splink, pathlib; \
		print(next(pathlib.Path(splink.__file__).parent.rglob('scala-udf-similarity-0.1.2_spark3.x.jar')))") .aws-sam/glue/
	ls .aws-sam/glue

# Unzipped size of each function with its layers against Lambda's 250 MB, and an import check per function.
layer-size: install build
	$(BIN)/python bench/layer_size.py --smoke

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam out .pytest_cache .ruff_cache web/node_modules web/build web/build-docs
