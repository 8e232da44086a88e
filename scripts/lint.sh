#!/usr/bin/env bash
# The linters the project uses, as CI runs them: ruff (style and errors) and mypy (strict on data_access/).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
python3 -m ruff check .
python3 -m mypy
