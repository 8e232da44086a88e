#!/usr/bin/env bash
# Install what the test suite needs and run all of it. Used by README and .ci/run.
# Browser tests need Debian's chromium and a CJK font; the PDF tests also Hanazono (fonts-hanazono:
# CJK Extension B, e.g. 𠀀 𪚥 in people's names); PostgreSQL tests need the server at
# 127.0.0.1:5432 (KPI_TEST_PG_URL). Under KPI_STRICT=1 a missing one fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
    || ! fc-list 2>/dev/null | grep -qi "HanaMinB"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-hanazono >/dev/null
  else
    echo "note: chromium / fonts-noto-cjk / fonts-hanazono missing and not root: browser and PDF tests will skip" >&2
  fi
fi
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
exec python3 -m pytest "$@"
