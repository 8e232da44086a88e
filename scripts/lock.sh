#!/usr/bin/env bash
# Regenerate requirements.lock from requirements.txt: every package the dashboard needs, pinned by
# version and sha256, for every platform (uv pip compile --universal), Python 3.11 and later.
# Run after changing requirements.txt; tests/test_lock.py checks the two agree.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check uv==0.13.8
python3 -m uv pip compile requirements.txt --universal --generate-hashes --python-version 3.11 \
  --custom-compile-command "bash scripts/lock.sh" -o requirements.lock "$@"
