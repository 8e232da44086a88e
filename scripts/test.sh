#!/usr/bin/env bash
# Install what the test suite needs and run all of it. Used by README and .ci/run.
# Browser tests need Debian's chromium and a CJK font; the PDF tests also Hanazono (fonts-hanazono:
# CJK Extension B, e.g. 𠀀 𪚥 in people's names); PostgreSQL tests need the server at
# 127.0.0.1:5432 (KPI_TEST_PG_URL). Under KPI_STRICT=1 a missing one fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
# The deployment tests check the nginx site with Debian's nginx (nginx -t, then TLS on high ports);
# the PDF falls back to Hanazono for CJK Extension B characters Noto CJK lacks; the workbook print
# tests convert each workbook to PDF with LibreOffice Calc (libreoffice-calc-nogui) and count pages.
if ! command -v chromium >/dev/null 2>&1 || ! command -v soffice >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
    || ! fc-list 2>/dev/null | grep -qi "HanaMinB" \
    || ! { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-hanazono nginx \
      libreoffice-calc-nogui >/dev/null
  else
    echo "note: chromium / fonts-noto-cjk / fonts-hanazono / nginx / libreoffice-calc-nogui missing and not root: browser, PDF, nginx and workbook print tests will skip" >&2
  fi
fi
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
exec python3 -m pytest "$@"
