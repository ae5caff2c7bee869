#!/usr/bin/env bash
# The whole test suite against the real stack (PostgreSQL+PostGIS, Redis) that the
# project starts itself. Same installs as scripts/run.sh; extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
# The tests' provider fakes, SMTP server and stack listen on loopback; a proxy from the
# environment must never carry those requests (the SDKs honour HTTP(S)_PROXY).
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
ensure_system_packages
ensure_venv
ensure_web
ensure_chromium
ensure_promtool
ensure_poppler
bash scripts/image.sh  # the image the chart runs; tests start each role from it (tests/k8s/test_image_roles.py)
.venv/bin/permitwatch stack up
.venv/bin/lint-imports pyproject.toml  # layer contracts: pure modules stay pure
.venv/bin/ruff check services workers controllers tests
(cd web && npx --no-install eslint src/js)  # the browser app: recommended rules, no import cycles, no window globals
exec .venv/bin/python -m pytest "$@"
